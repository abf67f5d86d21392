package io.userstream.bootstrap.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Map;
import java.util.UUID;

/**
 * The events every system of the harness writes, so that the rows compare: each writer thread fills one
 * user stream after another, each stream {@link #STREAM_LENGTH} events long, one event per command:
 * <ol>
 *   <li>{@code UserCreated} (username, password hash, e-mail, first and last name, avatar URL);</li>
 *   <li>then {@code ProfileUpdated} events that rename the user (first name {@code Renamed<version>}).</li>
 * </ol>
 * Our write path gets them as commands (CreateUser, then UpdateProfile); the JDBC limit and Axon get the
 * same payloads, as the records below, which Jackson writes in exactly our codec's stored JSON shape
 * ({@code {"data": {...}, "personal": {...}}}, same keys, same order), so payloads are the same bytes long.
 */
final class BenchEvents {

    /** Events per stream: 1 UserCreated + 9 ProfileUpdated. Short streams, as a user's are. */
    static final int STREAM_LENGTH = Integer.parseInt(System.getenv().getOrDefault("USERSTREAM_BENCH_STREAM", "10"));

    static final ObjectMapper JSON = new ObjectMapper();

    private BenchEvents() {
    }

    /** The {@code data} of a UserCreated. */
    record CreatedData(String username, @JsonProperty("password_hash") String passwordHash) {
    }

    /** The {@code personal} part; {@code email} only in UserCreated. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Personal(String email, @JsonProperty("first_name") String firstName,
                    @JsonProperty("last_name") String lastName, @JsonProperty("avatar_url") String avatarUrl) {
    }

    /** Payload of UserCreated, as our codec stores it. */
    record UserCreated(CreatedData data, Personal personal) {
    }

    /** Payload of ProfileUpdated, as our codec stores it ({@code data} is empty). */
    record ProfileUpdated(Map<String, String> data, Personal personal) {
    }

    /** A user of stream number {@code stream} of a writer: the values its events carry. */
    record StreamUser(String username, String email, String firstName, String lastName, String avatarUrl) {
        static StreamUser of(String tag, int thread, long stream) {
            String username = "u" + tag + "t" + thread + "s" + stream;
            return new StreamUser(username, username + "@example.com", "First", "Last" + stream,
                    "https://avatars.example.com/" + username + ".png");
        }

        /** The first name after event {@code version} (2..): the rename it records. */
        static String renamed(long version) {
            return "Renamed" + version;
        }

        UserCreated created(String passwordHash) {
            return new UserCreated(new CreatedData(username, passwordHash),
                    new Personal(email, firstName, lastName, avatarUrl));
        }

        ProfileUpdated updated(long version) {
            return new ProfileUpdated(Map.of(), new Personal(null, renamed(version), lastName, avatarUrl));
        }
    }

    /** A short random tag that keeps usernames unique across the systems and runs of one harness run. */
    static String tag() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Our codec's metadata JSON for a command with this correlation id and actor "bench". */
    static String metadataJson(String correlationId) {
        return "{\"correlation_id\":\"" + correlationId + "\",\"actor\":\"bench\"}";
    }
}
