@testable import CorralAPI
import XCTest

final class SPDYTests: XCTestCase {
    func testFramesRoundTripThroughParserInPieces() throws {
        let frames: [SPDYFrame] = [
            .synStream(stream: 1, associated: 0, priority: 2, fin: false, unidirectional: false, headerBlock: [1, 2, 3]),
            .synReply(stream: 1, fin: false, headerBlock: [9]),
            .data(stream: 1, fin: true, payload: Array(repeating: 7, count: 70_000)),
            .rstStream(stream: 3, status: SPDYFrame.Status.cancel),
            .settings([SPDYSetting(flags: 1, id: 7, value: 65536)]),
            .ping(id: 5), .goAway(lastGoodStream: 1, status: 0), .windowUpdate(stream: 1, delta: 100),
        ]
        let wire = frames.flatMap { $0.encoded() }
        var parser = SPDYFrameParser()
        var out: [SPDYFrame] = []
        for chunkStart in stride(from: 0, to: wire.count, by: 777) {
            parser.append(Array(wire[chunkStart..<min(wire.count, chunkStart + 777)]))
            while let f = try parser.next() { out.append(f) }
        }
        XCTAssertEqual(out, frames)
    }

    func testMalformedFramesAreErrorsNotCrashes() {
        var p = SPDYFrameParser()
        p.append([0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0])  // version 2
        XCTAssertThrowsError(try p.next())
        var q = SPDYFrameParser()
        q.append([0x80, 0x03, 0x00, 0x01, 0, 0, 0, 2, 0, 0])  // SYN_STREAM too short
        XCTAssertThrowsError(try q.next())
        var r = SPDYFrameParser()
        r.append([0x00, 0, 0, 1, 0, 0xff, 0xff, 0xff])  // 16 MiB DATA frame
        XCTAssertThrowsError(try r.next())
        var s = SPDYFrameParser()
        s.append([0x80, 0x03, 0x00, 0x04, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff])  // SETTINGS count beyond frame
        XCTAssertThrowsError(try s.next())
    }

    func testHeaderBlocksSurviveSharedCompressionContexts() throws {
        let deflater = try SPDYHeaderDeflater()
        let inflater = try SPDYHeaderInflater()
        for i in 0..<5 {
            let block = SPDYHeaderBlock.encode([("StreamType", "data"), ("port", "80\(i)"), ("requestID", String(i))])
            let compressed = try deflater.compress(block)
            let headers = try SPDYHeaderBlock.decode(try inflater.decompress(compressed))
            XCTAssertEqual(headers, ["streamtype": ["data"], "port": ["80\(i)"], "requestid": [String(i)]])
        }
        XCTAssertEqual(SPDYHeaderBlock.dictionary.count, 1423)
        XCTAssertThrowsError(try SPDYHeaderInflater().decompress([0x78, 0xbb, 1, 2, 3, 4, 5]))
        XCTAssertThrowsError(try SPDYHeaderBlock.decode([0, 0, 0, 9, 0, 0, 0, 1]))
    }

    func testInflaterRefusesDecompressionBombs() throws {
        let deflater = try SPDYHeaderDeflater()
        let big = SPDYHeaderBlock.encode([("x", String(repeating: "a", count: 300_000))])
        let compressed = try deflater.compress(big)
        XCTAssertLessThan(compressed.count, 10_000)
        XCTAssertThrowsError(try SPDYHeaderInflater().decompress(compressed))
    }
}
