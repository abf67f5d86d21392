package io.userstream.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The profile, auth and tls keys, and the start-up refusal of a production service without authentication. */
class SecuritySettingsTest {

    private static SecuritySettings settings(Map<String, String> values) {
        return SecuritySettings.from(Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(ConfigSources.create(values))
                .build().get("userstream"));
    }

    @Test
    void by_default_authentication_and_tls_are_off_in_the_development_profile() {
        SecuritySettings security = settings(Map.of());
        assertThat(security).isEqualTo(SecuritySettings.OFF);
        security.checkAndLog("user-service");  // starts, with a warning in the log
        assertThat(UserServiceSettings.from(Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource().sources(ConfigSources.create(Map.of())).build()).host())
                .as("listens on loopback unless told otherwise").isEqualTo("127.0.0.1");
    }

    @Test
    void the_production_profile_refuses_to_start_without_authentication() {
        SecuritySettings security = settings(Map.of("userstream.profile", "production"));
        assertThatThrownBy(() -> security.checkAndLog("user-service"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refuses to start").hasMessageContaining("auth.mode");
    }

    @Test
    void jwt_mode_reads_a_jwks_file_a_jwks_url_or_a_pem_key_with_issuer_and_audience() {
        Map<String, String> values = new HashMap<>(Map.of("userstream.profile", "production",
                "userstream.auth.mode", "jwt", "userstream.auth.jwt.jwks", "/etc/userstream/jwks.json",
                "userstream.auth.jwt.issuer", "https://idp", "userstream.auth.jwt.audience", "userstream"));
        SecuritySettings fromFile = settings(values);
        assertThat(fromFile.jwt().orElseThrow().jwksFile()).contains(Path.of("/etc/userstream/jwks.json"));
        assertThat(fromFile.jwt().orElseThrow().issuer()).contains("https://idp");
        assertThat(fromFile.jwt().orElseThrow().audience()).contains("userstream");

        values.put("userstream.auth.jwt.jwks", "https://idp.example.com/.well-known/jwks.json");
        assertThat(settings(values).jwt().orElseThrow().jwksUrl())
                .contains(URI.create("https://idp.example.com/.well-known/jwks.json"));

        assertThatThrownBy(() -> settings(Map.of("userstream.auth.mode", "jwt")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key source");
        assertThatThrownBy(() -> settings(Map.of("userstream.auth.mode", "basic")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none or jwt");
        assertThatThrownBy(() -> settings(Map.of("userstream.profile", "prod")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("profile");
    }

    @Test
    void tls_needs_its_certificate_and_key_together_and_a_ca_asks_for_client_certificates() {
        SecuritySettings mutual = settings(Map.of("userstream.tls.cert", "/tls/server.pem",
                "userstream.tls.key", "/tls/server.key", "userstream.tls.ca", "/tls/ca.pem"));
        assertThat(mutual.tls()).contains(new SecuritySettings.Tls(Path.of("/tls/server.pem"),
                Path.of("/tls/server.key"), Optional.of(Path.of("/tls/ca.pem"))));
        assertThatThrownBy(() -> settings(Map.of("userstream.tls.cert", "/tls/server.pem")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tls.key");
        assertThatThrownBy(() -> settings(Map.of("userstream.tls.ca", "/tls/ca.pem")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tls.ca");
    }
}
