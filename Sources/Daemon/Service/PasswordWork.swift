import NIOPosix
import Storage

/// scrypt is slow on purpose (tens of milliseconds, 16 MiB): it runs on
/// NIO's blocking thread pool, never on Swift concurrency's few cooperative
/// threads, which would otherwise stall every other command while a password
/// is checked.
enum PasswordWork {
    static func verify(_ password: String, against hash: String) async -> Bool {
        (try? await NIOThreadPool.singleton.runIfActive { PasswordHash.verify(password: password, against: hash) }) ?? false
    }

    static func make(_ password: String, cost: PasswordHash.Cost) async -> String {
        if let hash = try? await NIOThreadPool.singleton.runIfActive({ PasswordHash.make(password: password, cost: cost) }) {
            return hash
        }
        return PasswordHash.make(password: password, cost: cost)
    }
}
