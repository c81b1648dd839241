import Foundation
import CLibvirt

/// A bidirectional byte stream to a domain's serial console (`virDomainOpenConsole`).
/// Non-blocking: libvirt's event loop delivers output to `onData` and flushes writes, so a
/// console never ties up the connection. Call `close()` when done; `onClose` runs once,
/// with nil for a normal end or a message for an error.
public final class ConsoleStream: @unchecked Sendable {
    private let lock = NSLock()
    private var stream: OpaquePointer?
    private var pending: [UInt8] = []
    private var closed = false
    private let onData: @Sendable ([UInt8]) -> Void
    private let onClose: @Sendable (String?) -> Void

    static let baseEvents = Int32(VIR_STREAM_EVENT_READABLE.rawValue | VIR_STREAM_EVENT_ERROR.rawValue | VIR_STREAM_EVENT_HANGUP.rawValue)
    static let writable = Int32(VIR_STREAM_EVENT_WRITABLE.rawValue)

    init(stream: OpaquePointer, onData: @escaping @Sendable ([UInt8]) -> Void, onClose: @escaping @Sendable (String?) -> Void) {
        self.stream = stream
        self.onData = onData
        self.onClose = onClose
    }

    /// Queues bytes for the guest (keystrokes); sent from the event loop as the stream accepts them.
    public func write(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        lock.lock()
        defer { lock.unlock() }
        guard !closed, let stream else { return }
        pending += bytes
        virStreamEventUpdateCallback(stream, Self.baseEvents | Self.writable)
    }

    /// Ends the session (the guest keeps running).
    public func close() { finish(error: nil, graceful: false) }

    /// Whether the stream has ended.
    public var isClosed: Bool { lock.lock(); defer { lock.unlock() }; return closed }

    /// Runs on the event-loop thread when the stream is readable/writable or broke.
    func handle(events: Int32) {
        var received: [UInt8] = []
        var ending: (String?, Bool)?
        lock.lock()
        if closed || stream == nil { lock.unlock(); return }
        let st = stream!
        if events & Int32(VIR_STREAM_EVENT_READABLE.rawValue) != 0 {
            var buf = [CChar](repeating: 0, count: 65536)
            readLoop: while true {
                let n = virStreamRecv(st, &buf, buf.count)
                switch n {
                case let n where n > 0: received += buf[0..<Int(n)].map { UInt8(bitPattern: $0) }
                case 0: ending = (nil, true); break readLoop
                case -2: break readLoop  // would block: drained for now
                default: ending = (LibvirtError.last("console read").description, false); break readLoop
                }
            }
        }
        if ending == nil, events & Self.writable != 0, !pending.isEmpty {
            let n = pending.withUnsafeBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { virStreamSend(st, $0, p.count) }
            }
            if n > 0 { pending.removeFirst(Int(n)) } else if n != -2 { ending = (LibvirtError.last("console write").description, false) }
            if ending == nil, pending.isEmpty { virStreamEventUpdateCallback(st, Self.baseEvents) }
        }
        if ending == nil, events & Int32(VIR_STREAM_EVENT_ERROR.rawValue | VIR_STREAM_EVENT_HANGUP.rawValue) != 0 {
            ending = (events & Int32(VIR_STREAM_EVENT_ERROR.rawValue) != 0 ? "console stream error" : nil, false)
        }
        lock.unlock()
        if !received.isEmpty { onData(received) }
        if let (error, graceful) = ending { finish(error: error, graceful: graceful) }
    }

    private func finish(error: String?, graceful: Bool) {
        lock.lock()
        guard !closed, let st = stream else { lock.unlock(); return }
        closed = true
        stream = nil
        pending = []
        // libvirt defers the free callback if the event callback is running right now.
        virStreamEventRemoveCallback(st)
        if graceful { virStreamFinish(st) } else { virStreamAbort(st) }
        virResetLastError()
        virStreamFree(st)
        lock.unlock()
        onClose(error)
    }
}

private let consoleTrampoline: @convention(c) (OpaquePointer?, Int32, UnsafeMutableRawPointer?) -> Void = { _, events, opaque in
    guard let opaque else { return }
    Unmanaged<ConsoleStream>.fromOpaque(opaque).takeUnretainedValue().handle(events: events)
}

private let releaseConsole: @convention(c) (UnsafeMutableRawPointer?) -> Void = { opaque in
    if let opaque { Unmanaged<ConsoleStream>.fromOpaque(opaque).release() }
}

extension LibvirtConnection {
    /// Attaches to the domain's first console (the serial port), taking it over from any
    /// other session. Output arrives on `onData` on libvirt's event-loop thread.
    public func openConsole(uuid: String, onData: @escaping @Sendable ([UInt8]) -> Void,
                            onClose: @escaping @Sendable (String?) -> Void) throws -> ConsoleStream {
        try withConnection { c in
            guard let st = virStreamNew(c, UInt32(VIR_STREAM_NONBLOCK.rawValue)) else { throw LibvirtError.last("new stream") }
            do {
                try withDomain(uuid) { dom in
                    try check(virDomainOpenConsole(dom, nil, st, UInt32(VIR_DOMAIN_CONSOLE_FORCE.rawValue)), "open console", uuid)
                }
            } catch {
                virStreamFree(st)
                throw error
            }
            let console = ConsoleStream(stream: st, onData: onData, onClose: onClose)
            let opaque = Unmanaged.passRetained(console).toOpaque()
            guard virStreamEventAddCallback(st, ConsoleStream.baseEvents, consoleTrampoline, opaque, releaseConsole) == 0 else {
                let e = LibvirtError.last("console events", domain: uuid)
                Unmanaged<ConsoleStream>.fromOpaque(opaque).release()
                virStreamAbort(st)
                virStreamFree(st)
                throw e
            }
            return console
        }
    }
}
