package io.userstream.adapters.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserEvent.EmailChanged;
import io.userstream.domain.user.UserEvent.PasswordChanged;
import io.userstream.domain.user.UserEvent.ProfileUpdated;
import io.userstream.domain.user.UserEvent.UserActivated;
import io.userstream.domain.user.UserEvent.UserCreated;
import io.userstream.domain.user.UserEvent.UserDeactivated;
import io.userstream.domain.user.UserEvent.UserDeleted;
import io.userstream.domain.user.UserEvent.UserErased;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.Username;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * {@link UserEventCodec}: every event the domain can produce comes back equal from its stored
 * columns (event type, schema version, payload JSON), plaintext or sealed with the user's key;
 * personal data stays under {@code personal} (and is unreadable once sealed, erased once the key is
 * gone); older payload shapes upcast to the same event; metadata JSON round trips.
 */
class UserEventCodecProperties {

    private static final String EMOJI = "\uD83D\uDE00";
    /** Characters JSON must escape or that tempt hand-written encoders: quotes, backslashes, slashes, emoji, RTL. */
    private static final String NAME_CHARS = "AdaLovelceZoëÅnneŁukaszΣωκράτηςБорис李小龍 '-.\"\\/{}[]:,<>&\u202E\u0301\u00A0"
            + EMOJI;

    private final UserEventCodec codec = new UserEventCodec();

    @Property(tries = 1000)
    void every_event_decodes_to_itself(@ForAll("events") UserEvent event) {
        UserEventCodec.Encoded encoded = codec.encode(event);

        UserEvent decoded = codec.decode(event.userId(), encoded.eventType(), encoded.schemaVersion(),
                encoded.payload(), event.occurredAt());

        assertThat(decoded).isEqualTo(event);
        Statistics.collect(event.getClass().getSimpleName());
        Statistics.coverage(coverage -> {
            for (Class<?> kind : UserEvent.class.getPermittedSubclasses()) {
                coverage.check(kind.getSimpleName()).count(n -> n > 0);
            }
        });
    }

    @Property(tries = 500)
    void every_event_decodes_to_itself_after_the_payload_is_reformatted(@ForAll("events") UserEvent event)
            throws Exception {
        UserEventCodec.Encoded encoded = codec.encode(event);
        // jsonb stores a parsed form and prints it back in its own layout; any equivalent text must do.
        String reformatted = codec.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(
                codec.read(encoded.payload()));

        assertThat(codec.decode(event.userId(), encoded.eventType(), encoded.schemaVersion(), reformatted,
                event.occurredAt())).isEqualTo(event);
    }

    @Property(tries = 500)
    void every_event_sealed_with_its_users_key_decodes_to_itself(@ForAll("events") UserEvent event) {
        byte[] key = PersonalDataCipher.newKey();
        UserEventCodec.Encoded encoded = codec.encode(event, Optional.of(key), event.userId().value());

        assertThat(codec.decode(event.userId(), encoded.eventType(), encoded.schemaVersion(), encoded.payload(),
                event.occurredAt(), Optional.of(key))).isEqualTo(event);
    }

    @Property(tries = 500)
    void a_sealed_payload_shows_no_personal_field_and_keeps_its_data(@ForAll("events") UserEvent event) {
        JsonNode plain = codec.read(codec.encode(event).payload());
        JsonNode sealed = codec.read(codec.encode(event, Optional.of(PersonalDataCipher.newKey()),
                event.userId().value()).payload());

        assertThat(sealed.get("data")).isEqualTo(plain.get("data"));
        if (plain.get("personal").isEmpty()) {
            assertThat(sealed.get("personal")).isEqualTo(plain.get("personal"));
        } else {
            assertThat(fieldNames(sealed.get("personal"))).containsExactlyInAnyOrder("alg", "iv", "ct");
        }
    }

    @Property(tries = 500)
    void an_erased_users_event_decodes_with_its_personal_data_erased(@ForAll("events") UserEvent event) {
        UserEventCodec.Encoded sealed = codec.encode(event, Optional.of(PersonalDataCipher.newKey()),
                event.userId().value());
        UserEventCodec.Encoded plain = codec.encode(event);
        UserEvent expected = erased(event);

        // Sealed and the key deleted:
        assertThat(codec.decode(event.userId(), sealed.eventType(), sealed.schemaVersion(), sealed.payload(),
                event.occurredAt(), Optional.empty())).isEqualTo(expected);
        // Stored in plaintext before encryption, read from a stream that holds a UserErased:
        assertThat(codec.decode(event.userId(), plain.eventType(), plain.schemaVersion(), plain.payload(),
                event.occurredAt(), Optional.empty(), true)).isEqualTo(expected);
    }

    /** {@code event} as an erased user's history shows it: placeholder e-mail, empty profile, the rest intact. */
    private static UserEvent erased(UserEvent event) {
        Email erased = new Email(PersonalDataCipher.erasedEmail(event.userId().value()));
        return switch (event) {
            case UserCreated e -> new UserCreated(e.userId(), erased, e.username(), e.passwordHash(), Profile.EMPTY,
                    e.occurredAt());
            case EmailChanged e -> new EmailChanged(e.userId(), erased, erased, e.occurredAt());
            case ProfileUpdated e -> new ProfileUpdated(e.userId(), Profile.EMPTY, e.occurredAt());
            default -> event;
        };
    }

    @Property(tries = 200)
    void a_sealed_part_does_not_open_under_another_user_or_key(@ForAll("personalEvents") UserEvent event,
                                                               @ForAll("userIds") UserId other, @ForAll boolean otherKey) {
        byte[] key = PersonalDataCipher.newKey();
        UserEventCodec.Encoded encoded = codec.encode(event, Optional.of(key), event.userId().value());
        UserId reader = otherKey ? event.userId() : other;
        byte[] readerKey = otherKey ? PersonalDataCipher.newKey() : key;
        Assume.that(!reader.equals(event.userId()) || otherKey);

        assertThatThrownBy(() -> codec.decode(reader, encoded.eventType(), encoded.schemaVersion(), encoded.payload(),
                event.occurredAt(), Optional.of(readerKey))).isInstanceOf(IllegalStateException.class);
    }

    @Property(tries = 500)
    void the_columns_name_the_event_and_its_current_schema_and_personal_data_stays_under_personal(
            @ForAll("events") UserEvent event) {
        UserEventCodec.Encoded encoded = codec.encode(event);
        JsonNode payload = codec.read(encoded.payload());

        assertThat(encoded.eventType()).isEqualTo(event.getClass().getSimpleName());
        assertThat(encoded.schemaVersion()).isEqualTo(UserEventUpcaster.currentVersion(encoded.eventType()));
        assertThat(fieldNames(payload)).containsExactlyInAnyOrder("data", "personal");
        assertThat(fieldNames(payload.get("data"))).isSubsetOf("username", "password_hash");
        assertThat(fieldNames(payload.get("personal")))
                .isSubsetOf("email", "old_email", "new_email", "first_name", "last_name", "avatar_url");
    }

    @Property(tries = 500)
    void a_user_created_v1_payload_upcasts_to_the_same_event(@ForAll("userCreated") UserCreated event,
                                                             @ForAll("v1Absent") String absentAs,
                                                             @ForAll boolean upperCaseDomain) {
        ObjectNode flat = codec.mapper().createObjectNode();
        String email = event.email().value();
        int at = email.lastIndexOf('@');
        flat.put("email", upperCaseDomain ? email.substring(0, at + 1) + email.substring(at + 1).toUpperCase(Locale.ROOT)
                : email);
        flat.put("username", event.username().value());
        flat.put("password_hash", event.passwordHash().encoded());
        putV1(flat, "first_name", event.profile().firstName(), absentAs);
        putV1(flat, "last_name", event.profile().lastName(), absentAs);
        putV1(flat, "avatar_url", event.profile().avatarUrl(), absentAs);

        assertThat(codec.decode(event.userId(), "UserCreated", 1, codec.write(flat), event.occurredAt()))
                .isEqualTo(event);
    }

    @Property(tries = 500)
    void any_profile_text_round_trips_even_what_validation_would_refuse(@ForAll("userIds") UserId id,
                                                                        @ForAll("anyText") String first,
                                                                        @ForAll("anyText") String last,
                                                                        @ForAll("anyText") String avatar,
                                                                        @ForAll("instants") Instant at) {
        UserEvent event = new ProfileUpdated(id, new Profile(first, last, avatar), at);
        UserEventCodec.Encoded encoded = codec.encode(event);

        assertThat(codec.decode(id, encoded.eventType(), encoded.schemaVersion(), encoded.payload(), at))
                .isEqualTo(event);
    }

    @Property(tries = 500)
    void metadata_round_trips(@ForAll("anyText") String correlationId, @ForAll("optionalText") Optional<String> causationId,
                              @ForAll("anyText") String actor) {
        EventMetadata metadata = new EventMetadata(correlationId, causationId, actor);

        assertThat(codec.metadata(codec.metadataJson(metadata))).isEqualTo(metadata);
    }

    private static void putV1(ObjectNode flat, String field, String value, String absentAs) {
        if (!value.isEmpty()) {
            flat.put(field, value);
        } else if (absentAs.equals("null")) {
            flat.putNull(field);
        } else if (absentAs.equals("empty")) {
            flat.put(field, "");
        }
        // "missing": left out
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    // --- arbitraries: valid values, built through the domain's own parsers ---

    @Provide
    Arbitrary<UserEvent> events() {
        Arbitrary<UserId> id = userIds();
        Arbitrary<Instant> at = instants();
        return Arbitraries.oneOf(
                userCreated().map(e -> e),
                Combinators.combine(id, emails(), emails(), at).as(EmailChanged::new),
                Combinators.combine(id, hashes(), at).as(PasswordChanged::new),
                Combinators.combine(id, profiles(), at).as(ProfileUpdated::new),
                Combinators.combine(id, at).as(UserActivated::new),
                Combinators.combine(id, at).as(UserDeactivated::new),
                Combinators.combine(id, at).as(UserDeleted::new),
                Combinators.combine(id, at).as(UserErased::new));
    }

    /** The events that carry personal data. */
    @Provide
    Arbitrary<UserEvent> personalEvents() {
        return events().filter(e -> e instanceof UserCreated || e instanceof EmailChanged || e instanceof ProfileUpdated);
    }

    @Provide
    Arbitrary<UserCreated> userCreated() {
        return Combinators.combine(userIds(), emails(), usernames(), hashes(), profiles(), instants())
                .as(UserCreated::new);
    }

    @Provide
    Arbitrary<UserId> userIds() {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as((hi, lo) -> new UserId(new UUID(hi, lo)));
    }

    @Provide
    Arbitrary<Instant> instants() {
        // Any instant PostgreSQL's timestamptz holds (microseconds, years 1 to 9999), nanoseconds too for the codec.
        return Combinators.combine(Arbitraries.longs().between(-62_135_596_800L, 253_402_300_799L),
                        Arbitraries.integers().between(0, 999_999_999))
                .as(Instant::ofEpochSecond);
    }

    Arbitrary<Email> emails() {
        Arbitrary<String> atom = Arbitraries.strings()
                .withChars("abcxyzABCXYZ0189!#$%&'*+/=?^_`{|}~-").ofMinLength(1).ofMaxLength(10);
        Arbitrary<String> local = atom.list().ofMinSize(1).ofMaxSize(3).map(atoms -> String.join(".", atoms));
        Arbitrary<String> label = Arbitraries.strings().withChars("abcxyzABCXYZ0189").ofMinLength(1).ofMaxLength(10);
        Arbitrary<String> domain = Combinators.combine(label.list().ofMinSize(1).ofMaxSize(3),
                        Arbitraries.strings().withChars("abcxyzABCXYZ").ofMinLength(2).ofMaxLength(6))
                .as((labels, tld) -> String.join(".", labels) + "." + tld);
        return Combinators.combine(local, domain).as((l, d) -> Email.parse(l + "@" + d));
    }

    Arbitrary<Username> usernames() {
        return Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789._-").ofMinLength(3).ofMaxLength(32)
                .map(Username::parse);
    }

    /** PHC-looking strings, and any text after a "$" (the type's only rule), JSON specials included. */
    Arbitrary<PasswordHash> hashes() {
        Arbitrary<String> b64 = Arbitraries.strings()
                .withChars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/").ofMinLength(16).ofMaxLength(43);
        Arbitrary<String> phc = Combinators.combine(b64, b64).as((salt, hash) -> "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + hash);
        return Arbitraries.oneOf(phc, anyText().map(text -> "$" + text)).map(PasswordHash::new);
    }

    Arbitrary<Profile> profiles() {
        Arbitrary<String> name = codePointsOf(NAME_CHARS, 40).map(Profile::parseName);
        Arbitrary<String> longName = Arbitraries.just(EMOJI.repeat(100)).map(Profile::parseName);
        Arbitrary<String> names = Arbitraries.frequencyOf(Tuple.of(20, name), Tuple.of(1, longName));
        Arbitrary<String> path = codePointsOf("abcXYZ019-._~/%äé李" + EMOJI, 40).map(p -> "/" + p.replace("%", "%25"));
        Arbitrary<String> avatar = Arbitraries.oneOf(Arbitraries.just(""),
                Combinators.combine(Arbitraries.of("http", "https", "HTTPS"), Arbitraries.of("example.com", "cdn.example.org:8443"),
                        path).as((scheme, host, p) -> Profile.parseAvatarUrl(scheme + "://" + host + p)));
        return Combinators.combine(names, names, avatar).as(Profile::new);
    }

    /** Strings of up to {@code maxLength} code points of {@code alphabet}, so an emoji is never split. */
    private static Arbitrary<String> codePointsOf(String alphabet, int maxLength) {
        return Arbitraries.of(alphabet.codePoints().mapToObj(Character::toString).toList())
                .list().ofMaxSize(maxLength).map(parts -> String.join("", parts));
    }

    /** Any text: all UTF-16 chars (controls, lone surrogates, JSON specials), and now and then long. */
    @Provide
    Arbitrary<String> anyText() {
        Arbitrary<String> special = Arbitraries.strings()
                .withChars("\"\\/\n\r\t\b\f\u0000\u001F\u007F\u2028\u2029\uD800\uDFFF\uFEFF{}[]:,'" + EMOJI)
                .ofMaxLength(20);
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.strings().withCharRange(Character.MIN_VALUE, Character.MAX_VALUE).ofMaxLength(40)),
                Tuple.of(3, special),
                Tuple.of(1, Arbitraries.strings().withCharRange(Character.MIN_VALUE, Character.MAX_VALUE)
                        .ofMinLength(1_000).ofMaxLength(5_000)));
    }

    @Provide
    Arbitrary<Optional<String>> optionalText() {
        return anyText().optional(0.7);
    }

    @Provide
    Arbitrary<String> v1Absent() {
        return Arbitraries.of("null", "missing", "empty");
    }
}
