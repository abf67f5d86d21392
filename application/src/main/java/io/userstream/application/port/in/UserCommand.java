package io.userstream.application.port.in;

import java.util.OptionalLong;

/**
 * A command that needs nothing but the user's id (activate, deactivate, delete).
 *
 * @param userId          the user's id as the caller sent it
 * @param expectedVersion when present, the command applies only to the user at exactly this version
 */
public record UserCommand(String userId, OptionalLong expectedVersion) {
}
