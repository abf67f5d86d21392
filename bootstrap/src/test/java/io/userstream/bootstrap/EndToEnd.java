package io.userstream.bootstrap;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Assertions shared by the end-to-end tests. */
final class EndToEnd {

    private EndToEnd() {
    }

    /** Asserts the call fails with {@code code} and a description a client can read; returns the failure. */
    static StatusRuntimeException assertStatus(Status.Code code, Runnable call) {
        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(error).as("expected %s", code).isNotNull();
        assertThat(error.getStatus().getCode()).isEqualTo(code);
        assertThat(error.getStatus().getDescription()).isNotBlank();
        return error;
    }

    /** Waits up to 30 s for {@code condition}: tests never sleep and hope. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
