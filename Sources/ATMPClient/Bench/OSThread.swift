#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain POSIX thread that runs one closure and can be joined.
///
/// The load generator blocks in socket calls on purpose (one connection per
/// thread, as a simple client would); doing that on Swift's cooperative pool
/// or Dispatch's would cap the connections at the number of cores.
final class OSThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    #if canImport(Glibc)
    private var handle = pthread_t()
    #else
    private var handle: pthread_t?
    #endif
    private var joined = false

    /// Starts `body` on a new thread. Joining is the synchronisation: whatever
    /// `body` wrote is visible to the joiner afterwards.
    init(_ body: @escaping @Sendable () -> Void) throws(ClientError) {
        let box = Unmanaged.passRetained(Box(body))
        let status = pthread_create(&handle, nil, { context in
            #if canImport(Glibc)
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            #else
            let box = Unmanaged<Box>.fromOpaque(context).takeRetainedValue()
            #endif
            box.body()
            return nil
        }, box.toOpaque())
        guard status == 0 else {
            box.release()
            joined = true
            throw .io("cannot start a thread: \(String(cString: strerror(status)))")
        }
    }

    func join() {
        guard !joined else { return }
        joined = true
        #if canImport(Glibc)
        pthread_join(handle, nil)
        #else
        if let handle { pthread_join(handle, nil) }
        #endif
    }

    deinit { join() }
}

/// A value written by one thread and read by another after `join()`; the
/// join orders the accesses, which the type system cannot see.
final class ThreadSlot<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
