import Foundation

/// Runs blocking `work` (a child process to its end, a database to create) on
/// a thread of its own and awaits its result, so that it never holds one of
/// Swift concurrency's few cooperative threads while it waits.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
