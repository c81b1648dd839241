import Foundation
import XCTest
@testable import CorralContainers

final class CRILogTests: XCTestCase {
    func testTimestamps() {
        let table: [(String, String)] = [
            ("2026-11-21T10:00:00.123456789Z", "2026-11-21T10:00:00.123456789Z"),
            ("2026-11-21T10:00:00.120000000+00:00", "2026-11-21T10:00:00.12Z"),
            ("2026-11-21T12:30:00.5+02:30", "2026-11-21T10:00:00.5Z"),
            ("2024-02-29T23:59:59-01:00", "2024-03-01T00:59:59Z"),
            ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
            ("1969-12-31T23:59:59.000000001Z", "1969-12-31T23:59:59.000000001Z"),
        ]
        for (input, want) in table { XCTAssertEqual(CRITimestamp(rfc3339: input)?.description, want, input) }
        XCTAssertEqual(CRITimestamp(rfc3339: "1970-01-02T00:00:01Z")?.seconds, 86401)
        XCTAssertEqual(CRITimestamp(date: Date(timeIntervalSince1970: 86401.25)).description, "1970-01-02T00:00:01.25Z")
        for bad in ["", "2026-11-21 10:00:00Z", "2026-13-01T00:00:00Z", "2026-11-21T10:00:00", "2026-11-21T10:00:00.Z", "2026-11-21T10:00:00Zjunk"] {
            XCTAssertNil(CRITimestamp(rfc3339: bad), bad)
        }
    }

    func testParseAndFormatLines() throws {
        let line = Array("2026-11-21T10:00:00.123456789+00:00 stderr P half a line".utf8)
        let e = try XCTUnwrap(CRILogEntry(line: line[...]))
        XCTAssertEqual(e.stream, .stderr)
        XCTAssertTrue(e.partial)
        XCTAssertEqual(String(decoding: e.content, as: UTF8.self), "half a line")
        XCTAssertEqual(String(decoding: e.formatted, as: UTF8.self), "2026-11-21T10:00:00.123456789Z stderr P half a line\n")
        let empty = try XCTUnwrap(CRILogEntry(line: Array("2026-11-21T10:00:00Z stdout F".utf8)[...]))
        XCTAssertEqual(empty.content, [])
        XCTAssertFalse(empty.partial)
        XCTAssertNil(CRILogEntry(line: Array("not a log line".utf8)[...]))
        XCTAssertEqual(try XCTUnwrap(CRILogEntry(line: e.formatted.dropLast())), e, "round trip")
    }

    func entries() -> [CRILogEntry] {
        func e(_ s: Int64, _ text: String, partial: Bool = false, _ stream: CRILogEntry.Stream = .stdout) -> CRILogEntry {
            CRILogEntry(time: CRITimestamp(seconds: 1_000 + s, nanos: 5), stream: stream, partial: partial, content: Array(text.utf8))
        }
        return [e(0, "one"), e(1, "tw", partial: true), e(2, "o"), e(3, "three", .stderr), e(4, "fo", partial: true), e(5, "ur", partial: true)]
    }

    func render(_ options: LogOptions, tail: Int? = nil) -> String {
        var r = LogRenderer(options: options)
        let es = tail.map { LogRenderer.tail(entries(), lines: $0) } ?? entries()
        return String(decoding: r.render(es), as: UTF8.self)
    }

    func testRenderOptions() {
        XCTAssertEqual(render(LogOptions()), "one\ntwo\nthree\nfour")
        XCTAssertEqual(render(LogOptions(), tail: 2), "three\nfour")
        XCTAssertEqual(render(LogOptions(), tail: 3), "two\nthree\nfour")
        XCTAssertEqual(render(LogOptions(), tail: 0), "")
        XCTAssertEqual(render(LogOptions(), tail: 99), "one\ntwo\nthree\nfour")
        XCTAssertEqual(render(LogOptions(since: CRITimestamp(seconds: 1_003))), "three\nfour")
        XCTAssertEqual(render(LogOptions(limitBytes: 6)), "one\ntw")
        let ts = render(LogOptions(timestamps: true), tail: 3)
        XCTAssertEqual(ts, "1970-01-01T00:16:41.000000005Z two\n1970-01-01T00:16:43.000000005Z three\n1970-01-01T00:16:44.000000005Z four",
                       "one timestamp per logical line")
    }

    func testReaderKeepsIncompleteLastLine() throws {
        let text = "2026-11-21T10:00:00Z stdout F a\n2026-11-21T10:00:01Z stdout F b\n2026-11-21T10:00:02Z std"
        let (es, consumed) = LogReader.parse(Array(text.utf8)[...])
        XCTAssertEqual(es.count, 2)
        XCTAssertEqual(consumed, text.utf8.count - "2026-11-21T10:00:02Z std".utf8.count)
        let path = NSTemporaryDirectory() + "/corral-log-\(UUID().uuidString)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(String(decoding: LogReader.read(path: path, options: LogOptions(tailLines: 1)), as: UTF8.self), "b\n")
        XCTAssertEqual(LogReader.read(path: path + ".missing", options: LogOptions()), [])
    }
}

final class DriverPureTests: XCTestCase {
    func testConmonArguments() {
        let paths = ContainerPaths(id: "abc", bundle: "/b/abc", stateRoot: "/s")
        let args = ConmonCommand.arguments(conmon: "/usr/bin/conmon", runtime: OCIRuntime(name: "runc", path: "/usr/bin/runc"),
                                           runtimeRoot: "/r", paths: paths, stateRoot: "/s", logPath: "/l/0.log", name: "web",
                                           options: ConmonOptions(tty: true, stdin: true, leaveStdinOpen: true, logSizeMax: 1024))
        func value(_ flag: String) -> String? { args.firstIndex(of: flag).map { args[$0 + 1] } }
        XCTAssertEqual(value("--api-version"), "1")
        XCTAssertEqual(value("-r"), "/usr/bin/runc")
        XCTAssertEqual(value("--runtime-arg"), "--root=/r")
        XCTAssertEqual(value("-l"), "k8s-file:/l/0.log")
        XCTAssertEqual(value("--exit-dir"), "/s/exits")
        XCTAssertEqual(value("--socket-dir-path"), "/s/sockets")
        XCTAssertEqual(value("-p"), "/b/abc/container.pid")
        XCTAssertEqual(value("--log-size-max"), "1024")
        XCTAssertTrue(args.contains("-t") && args.contains("-i") && args.contains("--leave-stdin-open"))
        let plain = ConmonCommand.arguments(conmon: "c", runtime: OCIRuntime(name: "runc", path: "r"), runtimeRoot: "/r", paths: paths,
                                            stateRoot: "/s", logPath: "/l", name: "n", options: ConmonOptions(leaveStdinOpen: true))
        XCTAssertFalse(plain.contains("-t") || plain.contains("-i") || plain.contains("--leave-stdin-open"))
        XCTAssertEqual(paths.attachSocket, "/s/sockets/abc/attach")
        XCTAssertEqual(paths.exitFile, "/s/exits/abc")
    }

    func testSyncPipeMessages() {
        XCTAssertEqual(ConmonRuntime.parseSync(Array("{\"data\": 4242}\n".utf8)).0, 4242)
        let failed = ConmonRuntime.parseSync(Array("{\"data\": -1, \"message\": \"runc create failed\"}\n".utf8))
        XCTAssertEqual(failed.0, -1)
        XCTAssertEqual(failed.1, "runc create failed")
        XCTAssertNil(ConmonRuntime.parseSync([]).0)
    }

    func testContainerIDValidation() {
        XCTAssertNoThrow(try ConmonRuntime.checkID("abc-123_x.y"))
        for bad in ["", "../x", "a/b", "-rf", ".hidden", "a b", String(repeating: "a", count: 129)] {
            XCTAssertThrowsError(try ConmonRuntime.checkID(bad), bad)
        }
    }

    func testSignalNames() {
        let table: [(String, Int32?)] = [("SIGTERM", 15), ("TERM", 15), ("sigint", 2), ("9", 9), ("SIGRTMIN+3", 37),
                                         ("RTMAX-1", 63), ("SIGRTMIN", 34), ("SIGBOGUS", nil), ("0", nil), ("RTMIN-1", nil)]
        for (name, want) in table { XCTAssertEqual(Signals.number(name), want, name) }
    }

    func testDeviceProbeFindsNull() {
        let null = HostProbe.devices().first { $0.path == "/dev/null" }
        XCTAssertEqual(null.map { [$0.major, $0.minor] }, [1, 3])
        XCTAssertEqual(null?.type, "c")
    }

    func testCgroupLocator() {
        let mountinfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """
        let selfCgroup = "9:name=systemd:/\n4:memory:/box/1\n2:cpuacct,cpu:/\n0::/\n"
        XCTAssertEqual(CgroupLocator.directories(for: "kube/pod1", mountinfo: mountinfo, selfCgroup: selfCgroup), [
            "/sys/fs/cgroup/cpu,cpuacct/kube/pod1", "/sys/fs/cgroup/memory/box/1/kube/pod1",
            "/sys/fs/cgroup/systemd/kube/pod1", "/sys/fs/cgroup/unified/kube/pod1",
        ])
        XCTAssertEqual(CgroupLocator.directories(for: "/kube/pod1", mountinfo: mountinfo, selfCgroup: selfCgroup)[1], "/sys/fs/cgroup/memory/kube/pod1")
        XCTAssertEqual(CgroupLocator.directories(for: "../x", mountinfo: mountinfo, selfCgroup: selfCgroup), [])
    }
}
