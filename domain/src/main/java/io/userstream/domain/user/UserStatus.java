package io.userstream.domain.user;

/** Lifecycle of a user. {@link #DELETED} is final: nothing changes a deleted user. */
public enum UserStatus {
    ACTIVE,
    INACTIVE,
    DELETED
}
