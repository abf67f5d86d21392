package io.userstream.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ops/compose.yaml} and {@code ops/k8s/*.yaml} cannot run here (no Docker engine, no cluster), so
 * they are held to what can be checked: they parse, every {@code USERSTREAM_}/{@code USERSTATS_} variable they
 * set is a key the services read (in {@code user-service.yaml} / {@code user-stats-service.yaml}, the defaults the
 * services and their tests load), the Deployments run two replicas with probes on the health endpoints, their
 * ports are the services', and each service runs its own image, built from its own jar and libs/.
 * SnakeYAML comes with helidon-config-yaml (compile scope); declaring it for the test would make it test-only.
 */
class DeploymentManifestsTest {

    private static final Path OPS = Path.of("../ops");
    private static final Config APPLICATION = Config.builder()
            .disableEnvironmentVariablesSource()
            .disableSystemPropertiesSource()
            .sources(ConfigSources.classpath(ServiceConfig.defaultsOf("user-service")),
                    ConfigSources.classpath(ServiceConfig.defaultsOf("user-stats-service")))
            .build();

    @Test
    void compose_runs_both_services_beside_their_servers_with_keys_the_services_read() throws IOException {
        Map<String, Object> compose = yaml(OPS.resolve("compose.yaml")).getFirst();
        Map<String, Object> services = map(compose.get("services"));
        assertThat(services).containsKeys("postgres", "rabbitmq", "prometheus", "user-service", "user-stats-service");
        List<String> variables = new ArrayList<>();
        for (String service : List.of("user-service", "user-stats-service")) {
            variables.addAll(map(map(services.get(service)).get("environment")).keySet());
        }
        assertThat(variables).hasSizeGreaterThan(8);
        variables.forEach(DeploymentManifestsTest::assertReadByTheServices);
        for (String service : List.of("user-service", "user-stats-service")) {
            Map<String, Object> definition = map(services.get(service));
            assertThat(definition.get("image")).as(service).isEqualTo("userstream-" + service + ":dev");
            Map<String, Object> build = map(definition.get("build"));
            assertThat(build.get("dockerfile")).isEqualTo("ops/docker/Dockerfile");
            assertThat(map(build.get("args")).get("SERVICE")).as(service + "'s image").isEqualTo(service);
            assertThat(definition).as(service + " runs its jar's main, not a class named here").doesNotContainKey("command");
        }
    }

    @Test
    void the_image_of_a_service_holds_its_own_jar_and_libs_and_runs_the_jar() throws IOException {
        String dockerfile = Files.readString(OPS.resolve("docker/Dockerfile"));
        assertThat(dockerfile)
                .contains("COPY bootstrap/${SERVICE}/target/libs/ libs/")
                .contains("COPY bootstrap/${SERVICE}/target/userstream-${SERVICE}.jar app.jar")
                .contains("ENTRYPOINT [\"java\", \"-jar\", \"app.jar\"]");
        for (String service : List.of("user-service", "user-stats-service")) {
            // The artifacts those COPY lines name: built by the normal build (`package`), before this module.
            assertThat(Path.of("../bootstrap/" + service + "/pom.xml")).exists();
            assertThat(Files.readString(Path.of("../bootstrap/" + service + "/pom.xml")))
                    .contains("<finalName>userstream-" + service + "</finalName>");
        }
    }

    @Test
    void kubernetes_runs_two_replicas_of_each_with_probes_on_health_and_keys_the_services_read() throws IOException {
        Map<String, Object> configMap = yaml(OPS.resolve("k8s/configmap.yaml")).getFirst();
        assertThat(configMap.get("kind")).isEqualTo("ConfigMap");
        map(configMap.get("data")).keySet().forEach(DeploymentManifestsTest::assertReadByTheServices);

        for (String service : List.of("user-service", "user-stats-service")) {
            List<Map<String, Object>> documents = yaml(OPS.resolve("k8s/" + service + ".yaml"));
            Map<String, Object> deployment = documents.stream().filter(d -> "Deployment".equals(d.get("kind")))
                    .findFirst().orElseThrow();
            assertThat(documents).anyMatch(d -> "Service".equals(d.get("kind")));
            Map<String, Object> spec = map(deployment.get("spec"));
            assertThat(spec.get("replicas")).as(service).isEqualTo(2);
            Map<String, Object> container = map(list(map(map(spec.get("template")).get("spec")).get("containers"))
                    .getFirst());
            assertThat(container.get("image")).as(service).isEqualTo("userstream-" + service + ":dev");
            assertThat(container).as(service + " runs its jar's main").doesNotContainKey("args");
            assertThat(path(container, "readinessProbe")).isEqualTo("/health/ready");
            assertThat(path(container, "livenessProbe")).isEqualTo("/health/live");
            String section = service.equals("user-service") ? "userstream" : "userstats";
            List<Object> ports = list(container.get("ports")).stream().map(p -> map(p).get("containerPort")).toList();
            assertThat(ports).as(service + " ports").containsExactly(
                    APPLICATION.get(section + ".grpc.port").asInt().get(),
                    APPLICATION.get(section + ".http.port").asInt().get());
            for (Object variable : list(container.get("env"))) {
                assertReadByTheServices((String) map(variable).get("name"));
            }
        }
    }

    /** USERSTREAM_DB_POOL_SIZE is userstream.db.pool.size: Helidon's mapping of environment variables. */
    private static void assertReadByTheServices(String variable) {
        assertThat(variable).as("a variable of the services").matches("(USERSTREAM|USERSTATS)_[A-Z0-9_]+");
        String key = variable.toLowerCase(Locale.ROOT).replace('_', '.');
        assertThat(APPLICATION.get(key).exists()).as(variable + " is " + key + " in the services' defaults").isTrue();
    }

    private static String path(Map<String, Object> container, String probe) {
        return (String) map(map(container.get(probe)).get("httpGet")).get("path");
    }

    private static List<Map<String, Object>> yaml(Path file) throws IOException {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml().loadAll(Files.readString(file))) {
            documents.add(map(document));
        }
        return documents;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        assertThat(value).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        assertThat(value).isInstanceOf(List.class);
        return (List<Object>) value;
    }
}
