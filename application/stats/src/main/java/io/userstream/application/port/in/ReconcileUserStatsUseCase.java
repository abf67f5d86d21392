package io.userstream.application.port.in;

/**
 * Creates the stats of every user that has none, the way {@link GetUserStatsQuery} repairs one on read:
 * a sweep for the users whose creation event was lost and whom nobody has asked about yet.
 */
public interface ReconcileUserStatsUseCase {

    /**
     * Walks every user user-service knows.
     *
     * @return how many users' stats this call created
     * @throws io.userstream.application.port.out.UserDirectoryUnavailableException if user-service stopped
     *         answering; the stats created until then are kept, so running it again resumes the work
     */
    int reconcile();
}
