import ControlProtocol

/// Lets a change's reply leave the moment the change is durable, from the
/// thread that learnt it, instead of after the request's task has been
/// resumed. The connection layer provides it (`ReplyShortcut`) when nothing
/// else can write to the connection meanwhile; the service knows nothing of
/// how the bytes travel.
public protocol EarlyReplies: Sendable {
    /// What to run once the change is durable: it sends `reply`, the reply
    /// the command answers on success. The connection then sends only what
    /// did not go out (see `ReplyShortcut.takeSent`).
    func whenDurable(send reply: Reply) -> @Sendable () -> Void
}
