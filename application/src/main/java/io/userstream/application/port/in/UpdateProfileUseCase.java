package io.userstream.application.port.in;

import io.userstream.domain.user.User;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * Changes the given profile fields: an absent field keeps its value, an empty string clears it.
 * An update that leaves the profile as it is records nothing.
 */
public interface UpdateProfileUseCase {

    /**
     * @return the user after the command
     * @throws io.userstream.domain.user.UserRejectedException see {@link io.userstream.domain.user.UserRejection}
     */
    User updateProfile(UpdateProfile command, CommandContext context);

    /** @param expectedVersion when present, the command applies only to the user at exactly this version */
    record UpdateProfile(String userId, Optional<String> firstName, Optional<String> lastName,
                         Optional<String> avatarUrl, OptionalLong expectedVersion) {
    }
}
