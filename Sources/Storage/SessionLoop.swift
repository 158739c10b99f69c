import Logging
import PostgresClient

/// The reconnect loop of a background PostgreSQL session (the event
/// publisher's and the listener's): connect and set the session up, use it
/// until it fails, then connect again — after 0.1 s, doubling to 5 s while
/// connecting keeps failing — until `isStopping`.
///
/// Blocks its thread; both users give it a thread of their own.
struct SessionLoop {
    let connectionString: String
    let logger: Logger
    /// Logged (with the error and the delay) when connecting or setting up fails.
    let cannotConnect: Logger.Message
    /// Logged (with the error) when a session in use fails.
    let lost: Logger.Message

    func run(
        isStopping: () -> Bool,
        pause: (Duration) -> Void,
        setUp: (PostgresConnection) throws(PostgresError) -> Void,
        use: (PostgresConnection) throws(PostgresError) -> Void
    ) {
        var backoff = Duration.milliseconds(100)
        while !isStopping() {
            let connection: PostgresConnection
            do {
                connection = try PostgresConnection(connectionString, logger: logger)
                try setUp(connection)
            } catch {
                logger.warning(cannotConnect, metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
                pause(backoff)
                backoff = min(backoff * 2, .seconds(5))
                continue
            }
            backoff = .milliseconds(100)
            do {
                try use(connection)
            } catch {
                logger.warning(lost, metadata: ["error": "\(error)"])
            }
        }
    }
}
