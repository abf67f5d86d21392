package io.userstream.adapters.postgres;

import io.userstream.application.port.out.UserPage;
import io.userstream.application.view.UserView;
import io.userstream.domain.user.UserStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Keyset paging over a few thousand users, in a schema of its own so that the expected lists are
 * exactly the table's content. Ids are random, so they fall on both sides of every signed/unsigned
 * boundary a wrong comparison could trip over.
 */
class PostgresUserReadModelPagingTest {

    private static final int USERS = 3_000;
    private static final int PAGE = 97;

    private static TestDatabase db;
    private static PostgresUserReadModel readModel;

    @BeforeAll
    static void open() throws Exception {
        db = TestDatabase.create();
        readModel = new PostgresUserReadModel(db.database().dbClient());
        insertUsers(1, USERS);
    }

    @AfterAll
    static void close() throws Exception {
        db.close();
    }

    @Test
    void walking_every_page_shows_every_user_exactly_once_in_id_order() {
        List<UUID> expected = idsInTable(Optional.empty());

        List<UserPage> pages = walk(PAGE, Optional.empty());

        assertPagesCover(pages, expected, PAGE);
        assertThat(expected).hasSizeGreaterThanOrEqualTo(USERS);
    }

    @ParameterizedTest
    @EnumSource(UserStatus.class)
    void walking_the_pages_of_one_status_shows_exactly_the_users_with_that_status(UserStatus status) {
        List<UUID> expected = idsInTable(Optional.of(status));

        List<UserPage> pages = walk(PAGE, Optional.of(status));

        assertPagesCover(pages, expected, PAGE);
        assertThat(pages.stream().flatMap(page -> page.users().stream()).map(UserView::status))
                .isNotEmpty().containsOnly(status);
    }

    @Test
    void a_page_that_ends_at_the_last_user_says_that_no_more_follow() {
        List<UUID> all = idsInTable(Optional.empty());

        UserPage everything = readModel.list(Optional.empty(), all.size(), Optional.empty());
        UserPage allButOne = readModel.list(Optional.empty(), all.size() - 1, Optional.empty());
        UserPage rest = readModel.list(Optional.of(all.get(all.size() - 2)), PAGE, Optional.empty());
        UserPage afterTheLast = readModel.list(Optional.of(all.getLast()), PAGE, Optional.empty());

        assertThat(everything.users()).hasSize(all.size());
        assertThat(everything.hasMore()).isFalse();
        assertThat(allButOne.hasMore()).isTrue();
        assertThat(rest.users()).extracting(user -> user.id().value()).containsExactly(all.getLast());
        assertThat(rest.hasMore()).isFalse();
        assertThat(afterTheLast.users()).isEmpty();
        assertThat(afterTheLast.hasMore()).isFalse();
    }

    @Test
    void users_added_during_a_walk_never_make_it_repeat_or_skip_a_user_that_was_there_before() throws Exception {
        List<UUID> before = idsInTable(Optional.empty());
        List<UserPage> pages = new ArrayList<>();
        Optional<UUID> after = Optional.empty();
        UserPage page;
        do {
            page = readModel.list(after, PAGE, Optional.empty());
            pages.add(page);
            after = page.users().isEmpty() ? after : Optional.of(page.users().getLast().id().value());
            if (pages.size() == 5) {
                insertUsers(USERS + 1, USERS + 500);
            }
        } while (page.hasMore());

        List<UUID> seen = pages.stream().flatMap(p -> p.users().stream()).map(user -> user.id().value()).toList();
        assertThat(new HashSet<>(seen)).hasSameSizeAs(seen);
        assertThat(seen).containsAll(before);
        assertThat(seen).isSubsetOf(idsInTable(Optional.empty()));
    }

    @Test
    void a_limit_below_one_is_a_programming_error() {
        assertThatThrownBy(() -> readModel.list(Optional.empty(), 0, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static List<UserPage> walk(int limit, Optional<UserStatus> status) {
        List<UserPage> pages = new ArrayList<>();
        Optional<UUID> after = Optional.empty();
        UserPage page;
        do {
            page = readModel.list(after, limit, status);
            pages.add(page);
            if (!page.users().isEmpty()) {
                after = Optional.of(page.users().getLast().id().value());
            }
            assertThat(pages.size()).as("pages walked").isLessThanOrEqualTo(USERS * 2 / limit + 2);
        } while (page.hasMore());
        return pages;
    }

    /** No duplicates, no gaps, in order; every page full but the last, and only the last says "no more". */
    private static void assertPagesCover(List<UserPage> pages, List<UUID> expected, int limit) {
        List<UUID> seen = pages.stream().flatMap(page -> page.users().stream()).map(user -> user.id().value()).toList();
        assertThat(seen).containsExactlyElementsOf(expected);
        for (int i = 0; i < pages.size() - 1; i++) {
            assertThat(pages.get(i).users()).as("page %d", i).hasSize(limit);
            assertThat(pages.get(i).hasMore()).as("page %d has more", i).isTrue();
        }
        assertThat(pages.getLast().hasMore()).isFalse();
        assertThat(pages.getLast().users()).hasSizeBetween(expected.isEmpty() ? 0 : 1, limit);
    }

    private static List<UUID> idsInTable(Optional<UserStatus> status) {
        String sql = "SELECT id FROM user_read_model" + (status.isPresent() ? " WHERE status = ?" : "") + " ORDER BY id";
        try (Connection connection = db.rawConnection(); PreparedStatement query = connection.prepareStatement(sql)) {
            if (status.isPresent()) {
                query.setString(1, status.get().name());
            }
            List<UUID> ids = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getObject(1, UUID.class));
                }
            }
            return ids;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Users number {@code from} to {@code to}, in one statement; the status cycles ACTIVE, INACTIVE, DELETED. */
    private static void insertUsers(int from, int to) throws Exception {
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement()) {
            statement.executeUpdate("""
                    INSERT INTO user_read_model (id, email, username, status, created_at, last_updated, deleted_at, version)
                    SELECT gen_random_uuid(), 'user' || n || '@example.com', 'user' || n,
                           (ARRAY['ACTIVE', 'INACTIVE', 'DELETED'])[n %% 3 + 1],
                           now(), now(), CASE WHEN n %% 3 = 2 THEN now() END, 1
                    FROM generate_series(%d, %d) AS n""".formatted(from, to));
        }
    }
}
