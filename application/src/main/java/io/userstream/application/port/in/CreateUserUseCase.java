package io.userstream.application.port.in;

import io.userstream.domain.user.User;

/** Registers a new user with a unique e-mail address and username. */
public interface CreateUserUseCase {

    /**
     * @return the user as recorded
     * @throws io.userstream.domain.user.UserRejectedException on invalid input or a taken e-mail/username
     */
    User createUser(CreateUser command, CommandContext context);

    /** Raw input as the caller sent it; the use case validates every field. Null profile fields mean "not given". */
    record CreateUser(String email, String username, String password,
                      String firstName, String lastName, String avatarUrl) {
        @Override
        public String toString() {
            return "CreateUser[email=" + email + ", username=" + username + ", password=redacted]";
        }
    }
}
