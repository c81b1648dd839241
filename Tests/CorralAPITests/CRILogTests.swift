@testable import CorralAPI
import CorralModel
import XCTest

final class CRILogTests: XCTestCase {
    func testTimestampRoundTripsWithNanosAndZone() throws {
        let t = try XCTUnwrap(LogTimestamp(rfc3339: "2024-02-29T23:59:58.123456789+02:00"))
        XCTAssertEqual(t.formatted, "2024-02-29T23:59:58.123456789+02:00")
        let utc = try XCTUnwrap(LogTimestamp(rfc3339: "2024-02-29T21:59:58.123456789Z"))
        XCTAssertEqual(t, utc)
        XCTAssertEqual(utc.formatted, "2024-02-29T21:59:58.123456789Z")
        XCTAssertEqual(LogTimestamp(rfc3339: "1970-01-01T00:00:10Z")?.seconds, 10)
        XCTAssertEqual(LogTimestamp(rfc3339: "2024-01-01T00:00:00.5Z")?.nanos, 500_000_000)
        XCTAssertNil(LogTimestamp(rfc3339: "2024-01-01 00:00:00Z"))
        XCTAssertNil(LogTimestamp(rfc3339: "2024-13-01T00:00:00Z"))
    }

    func testParsesFullAndPartialRecords() {
        let text = "2024-01-01T00:00:01.000000001Z stdout P hel\n2024-01-01T00:00:01.000000002Z stdout F lo\n" +
            "garbage\n2024-01-01T00:00:02Z stderr F oops\n2024-01-01T00:00:03Z stdout F unfini"
        let (entries, rest) = CRILogEntry.parse(Array(text.utf8))
        XCTAssertEqual(entries.count, 3)
        XCTAssertEqual(entries[0].partial, true)
        XCTAssertEqual(entries[2].stream, "stderr")
        XCTAssertEqual(String(decoding: rest, as: UTF8.self), "2024-01-01T00:00:03Z stdout F unfini")
        var r = LogRenderer(options: PodLogOptions(timestamps: true))
        let out = entries.flatMap { r.render($0) }
        XCTAssertEqual(String(decoding: out, as: UTF8.self),
                       "2024-01-01T00:00:01.000000001Z hello\n2024-01-01T00:00:02.000000000Z oops\n")
    }

    func testTailThenSinceThenLimit() {
        let entries = (0..<10).map {
            CRILogEntry(time: LogTimestamp(seconds: Int64(100 + $0), nanos: 0), stream: "stdout", partial: false, content: Array("l\($0)".utf8))
        }
        let now = LogTimestamp(seconds: 110, nanos: 0)
        XCTAssertEqual(LogRenderer.select(entries, options: PodLogOptions(tailLines: 3), now: now).map(\.time.seconds), [107, 108, 109])
        XCTAssertEqual(LogRenderer.select(entries, options: PodLogOptions(sinceSeconds: 2), now: now).map(\.time.seconds), [108, 109])
        XCTAssertEqual(LogRenderer.select(entries, options: PodLogOptions(tailLines: 0), now: now).count, 0)
        var r = LogRenderer(options: PodLogOptions(limitBytes: 5))
        let out = entries.flatMap { r.render($0) }
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "l0\nl1")
        XCTAssertTrue(r.exhausted)
    }

    func testLogOptionsValidationMatchesKube() {
        XCTAssertThrowsError(try PodLogOptions.parse(query: ["tailLines": ["-1"]], podName: "p")) { e in
            let err = e as? APIError
            XCTAssertEqual(err?.code, 422)
            XCTAssertEqual(err?.message, "PodLogOptions \"p\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0")
        }
        XCTAssertThrowsError(try PodLogOptions.parse(query: ["sinceSeconds": ["5"], "sinceTime": ["2024-01-01T00:00:00Z"]], podName: "p"))
        XCTAssertThrowsError(try PodLogOptions.parse(query: ["limitBytes": ["x"]], podName: "p")) { e in
            XCTAssertEqual((e as? APIError)?.code, 400)
        }
        let o = try? PodLogOptions.parse(query: ["follow": ["true"], "timestamps": ["0"], "tailLines": ["4"]], podName: "p")
        XCTAssertEqual(o, PodLogOptions(follow: true, timestamps: false, tailLines: 4))
    }
}
