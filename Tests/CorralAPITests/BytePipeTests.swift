@testable import CorralAPI
import Foundation
import XCTest

final class BytePipeTests: XCTestCase {
    func testWriterWaitsWhileFullAndReaderDrainsInOrder() async throws {
        let pipe = BytePipe(capacity: 10)
        let written = ManagedCounter()
        let writer = Task {
            for i in 0..<5 {
                try await pipe.write([UInt8](repeating: UInt8(i), count: 8))
                await written.increment()
            }
            await pipe.closeWrite()
        }
        try await Task.sleep(nanoseconds: 50_000_000)
        let early = await written.value
        XCTAssertLessThanOrEqual(early, 2, "writer should block once capacity is reached")
        var all: [UInt8] = []
        while let chunk = try await pipe.read() { all += chunk }
        try await writer.value
        XCTAssertEqual(all, (0..<5).flatMap { [UInt8](repeating: UInt8($0), count: 8) })
    }

    func testClosedReaderMakesWritesFailAndFailurePropagates() async throws {
        let pipe = BytePipe(capacity: 4)
        await pipe.closeRead()
        do {
            try await pipe.write([1])
            XCTFail("write after closeRead must throw")
        } catch {}
        let failing = BytePipe()
        try await failing.write([9])
        await failing.fail(.closed)
        let first = try await failing.read()
        XCTAssertEqual(first, [9])
        do {
            _ = try await failing.read()
            XCTFail("expected the failure after draining")
        } catch let e as StreamError {
            XCTAssertEqual(e, .closed)
        }
    }

    func testCRILogFileTailsAndFollowsUntilContainerStops() async throws {
        let path = NSTemporaryDirectory() + "crilog-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "2024-01-01T00:00:00Z stdout F a\n2024-01-01T00:00:01Z stdout F b\n".write(toFile: path, atomically: true, encoding: .utf8)
        // "Running" for the first few polls after the append, then the container stops.
        let polls = ManagedCounter()
        let reader = CRILogFile(path: path, options: PodLogOptions(follow: true, tailLines: 1), pollInterval: 0.01) {
            await polls.increment()
            return await polls.value < 5
        }
        let first = try await reader.read()
        XCTAssertEqual(first.map { String(decoding: $0, as: UTF8.self) }, "b\n")
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        h.seekToEndOfFile()
        h.write("2024-01-01T00:00:02Z stderr F c\n".data(using: .utf8)!)
        try h.close()
        var rest = ""
        while let chunk = try await reader.read() { rest += String(decoding: chunk, as: UTF8.self) }
        XCTAssertEqual(rest, "c\n")
        let endedAfter = await polls.value
        XCTAssertEqual(endedAfter, 5, "the follower stops at the first poll that says the container is gone")
    }
}

actor ManagedCounter {
    private(set) var value = 0
    func increment() { value += 1 }
}
