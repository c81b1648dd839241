/// Something to send; header blocks are compressed by the single writer so that
/// the shared zlib stream sees them in wire order.
enum SPDYOutboundItem: Sendable {
    case frame(SPDYFrame)
    case synReply(stream: UInt32)

    func encoded(_ deflater: SPDYHeaderDeflater) throws -> [UInt8] {
        switch self {
        case .frame(let f): return f.encoded()
        case .synReply(let id):
            return SPDYFrame.synReply(stream: id, fin: false, headerBlock: try deflater.compress(SPDYHeaderBlock.encode([]))).encoded()
        }
    }
}

/// The ordered queue between streams and the session's writer. DATA waits while
/// more than `limit` bytes are queued (backpressure); control frames never wait.
actor SPDYOutbox {
    private var items: [SPDYOutboundItem] = []
    private var queuedData = 0
    private var closed = false
    private let limit = 1024 * 1024
    private var writerWaiting: CheckedContinuation<Void, Never>?
    private var sendersWaiting: [CheckedContinuation<Void, Never>] = []

    /// Queues an item; false once the session is closed.
    @discardableResult
    func enqueue(_ item: SPDYOutboundItem) async -> Bool {
        if case .frame(.data(_, _, let payload)) = item {
            while queuedData > limit && !closed { await withCheckedContinuation { sendersWaiting.append($0) } }
            queuedData += payload.count
        }
        if closed { return false }
        items.append(item)
        writerWaiting?.resume()
        writerWaiting = nil
        return true
    }

    /// Everything queued, nil once closed and drained.
    func next() async -> [SPDYOutboundItem]? {
        while items.isEmpty {
            if closed { return nil }
            await withCheckedContinuation { writerWaiting = $0 }
        }
        let out = items
        items = []
        queuedData = 0
        let waiting = sendersWaiting
        sendersWaiting = []
        for w in waiting { w.resume() }
        return out
    }

    func close() {
        closed = true
        writerWaiting?.resume()
        writerWaiting = nil
        let waiting = sendersWaiting
        sendersWaiting = []
        for w in waiting { w.resume() }
    }
}
