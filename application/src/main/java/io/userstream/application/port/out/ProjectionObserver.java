package io.userstream.application.port.out;

/**
 * Told by projections what they do, for metrics. Implementations must be cheap and never throw.
 */
public interface ProjectionObserver {

    /** A batch of {@code count} events was handled and committed. */
    void processed(String projection, int count);

    /** One attempt to handle an event failed. */
    void failed(String projection);

    /** An event was parked after its retries. */
    void parked(String projection);

    /** Observes nothing. */
    ProjectionObserver NONE = new ProjectionObserver() {
        @Override
        public void processed(String projection, int count) {
        }

        @Override
        public void failed(String projection) {
        }

        @Override
        public void parked(String projection) {
        }
    };
}
