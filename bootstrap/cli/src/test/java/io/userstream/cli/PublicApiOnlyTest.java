package io.userstream.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line is a client of the public API (proto) only: the services' insides are not even on its class path. */
class PublicApiOnlyTest {

    @Test
    void no_domain_application_adapter_or_bootstrap_package_is_on_the_class_path() {
        ClassLoader loader = PublicApiOnlyTest.class.getClassLoader();
        for (String inside : List.of("io/userstream/domain", "io/userstream/application", "io/userstream/adapters",
                "io/userstream/bootstrap")) {
            assertThat(loader.getResource(inside)).as(inside).isNull();
        }
        assertThat(loader.getResource("io/userstream/proto")).as("the public contracts").isNotNull();
    }
}
