package io.userstream.application.port.out;

import io.userstream.application.view.UserView;

import java.util.List;

/**
 * A page of users from {@link UserReadModel#list}.
 *
 * @param users   in ascending id order
 * @param hasMore whether users beyond the last one of this page match; lets the caller tell the last
 *                page without an extra, empty round trip
 */
public record UserPage(List<UserView> users, boolean hasMore) {
    public UserPage {
        users = List.copyOf(users);
    }
}
