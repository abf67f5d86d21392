package io.userstream.adapters.grpc;

import com.google.protobuf.Timestamp;
import io.userstream.domain.user.User;
import io.userstream.proto.user.v1.UserStatus;

import java.time.Instant;

/** Domain users to API messages. The password hash has no field to go to, by design. */
final class UserMessages {

    private UserMessages() {
    }

    static io.userstream.proto.user.v1.User toMessage(User user) {
        io.userstream.proto.user.v1.User.Builder message = io.userstream.proto.user.v1.User.newBuilder()
                .setId(user.id().toString())
                .setEmail(user.email().value())
                .setUsername(user.username().value())
                .setFirstName(user.profile().firstName())
                .setLastName(user.profile().lastName())
                .setAvatarUrl(user.profile().avatarUrl())
                .setStatus(switch (user.status()) {
                    case ACTIVE -> UserStatus.ACTIVE;
                    case INACTIVE -> UserStatus.INACTIVE;
                    case DELETED -> UserStatus.DELETED;
                })
                .setCreatedAt(timestamp(user.createdAt()))
                .setUpdatedAt(timestamp(user.updatedAt()))
                .setVersion(user.version());
        if (user.deletedAt() != null) {
            message.setDeletedAt(timestamp(user.deletedAt()));
        }
        return message.build();
    }

    static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
