import CorralModel
import Foundation
import XCTest
@testable import CorralContainers

/// Collects a stream into one byte array.
func collect(_ s: AsyncStream<[UInt8]>) async -> String {
    var out: [UInt8] = []
    for await chunk in s { out += chunk }
    return String(decoding: out, as: UTF8.self)
}

/// Reads `s` until the accumulated text contains `needle` (or the stream ends / times out).
func readUntil(_ s: AsyncStream<[UInt8]>, contains needle: String, timeout: TimeInterval = 5) async -> String {
    await withTaskGroup(of: String?.self) { group in
        group.addTask {
            var out: [UInt8] = []
            for await chunk in s {
                out += chunk
                if String(decoding: out, as: UTF8.self).contains(needle) { break }
            }
            return String(decoding: out, as: UTF8.self)
        }
        group.addTask { try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9)); return nil }
        let first = await group.next()!
        group.cancelAll()
        return first ?? "<timeout waiting for \(needle)>"
    }
}

final class RuntimeExecTests: XCTestCase {
    func testExecAttachAndAdoption() async throws {
        let box = try RuntimeSandbox()
        do {
            let (id, pid, _) = try box.run("exec", ["sh", "-c", "echo started; while read line; do echo \"got:$line\"; done"], stdin: true)

            // exec: output and exit codes.
            let t0 = Date()
            let e1 = try box.driver.exec(id: id, command: ["echo", "x"], tty: false, stdin: false)
            async let out1 = collect(e1.stdout)
            let code1 = await e1.wait()
            print("exec round-trip: \(Int(Date().timeIntervalSince(t0) * 1000)) ms")
            XCTAssertEqual(code1, 0)
            let o1 = await out1
            XCTAssertEqual(o1, "x\n")
            let e2 = try box.driver.exec(id: id, command: ["sh", "-c", "echo err >&2; exit 3"], tty: false, stdin: false)
            async let err2 = collect(e2.stderr)
            let rc_e2 = await e2.wait()
            XCTAssertEqual(rc_e2, 3)
            let errText = await err2
            XCTAssertEqual(errText, "err\n")

            // exec with stdin.
            let e3 = try box.driver.exec(id: id, command: ["cat"], tty: false, stdin: true)
            e3.write(Array("piped\n".utf8))
            e3.closeStdin()
            let o3 = await collect(e3.stdout)
            XCTAssertEqual(o3, "piped\n")
            let rc_e3 = await e3.wait()
            XCTAssertEqual(rc_e3, 0)

            // exec with a tty: terminal size, resize, input echo, exit code.
            let e4 = try box.driver.exec(id: id, command: ["sh"], tty: true, stdin: true, size: (cols: 100, rows: 40))
            e4.write(Array("stty size\n".utf8))
            let sized = await readUntil(e4.stdout, contains: "40 100")
            XCTAssertTrue(sized.contains("40 100"), sized)
            e4.resize(cols: 132, rows: 50)
            try await Task.sleep(nanoseconds: 200_000_000)
            e4.write(Array("stty size; exit 7\n".utf8))
            let resized = await readUntil(e4.stdout, contains: "50 132")
            XCTAssertTrue(resized.contains("50 132"), resized)
            let rc_e4 = await e4.wait()
            XCTAssertEqual(rc_e4, 7)

            // attach: stdin goes to the main process, its output comes back framed as stdout.
            let a = try box.driver.attach(id: id)
            try await Task.sleep(nanoseconds: 100_000_000)
            a.write(Array("hello\n".utf8))
            let attached = await readUntil(a.stdout, contains: "got:hello")
            XCTAssertTrue(attached.contains("got:hello"), attached)
            a.close()

            // Drop the driver; a new instance over the same directories adopts the container.
            let adopted = ConmonRuntime(runtime: box.driver.runtime, root: box.driver.runtimeRoot, stateDir: box.driver.stateRoot)
            XCTAssertTrue(try adopted.list().contains(id))
            let st = try adopted.state(id: id)
            XCTAssertEqual(st.status, .running)
            XCTAssertEqual(st.pid, pid)
            XCTAssertEqual(try adopted.record(id).bundle, box.driver.paths(id).bundle)
            let e5 = try adopted.exec(id: id, command: ["true"], tty: false, stdin: false)
            let rc_e5 = await e5.wait()
            XCTAssertEqual(rc_e5, 0)

            // stdinOnce: when the attached client leaves, conmon closes stdin and `read` sees EOF.
            let (once, _, _) = try box.run("once", ["sh", "-c", "read line; echo \"once:$line\"; read rest; echo eof-$?"], stdin: true, stdinOnce: true)
            let a2 = try box.driver.attach(id: once)
            try await Task.sleep(nanoseconds: 100_000_000)
            a2.write(Array("one\n".utf8))
            let first = await readUntil(a2.stdout, contains: "once:one")
            XCTAssertTrue(first.contains("once:one"), first)
            a2.close()
            let onceCode = await box.driver.waitForExit(id: once, timeout: 5)
            XCTAssertEqual(onceCode, 0)
        } catch {
            await box.cleanup()
            throw error
        }
        await box.cleanup()
    }

    func testAttachToTTYContainerAndResize() async throws {
        let box = try RuntimeSandbox()
        do {
            let (id, _, log) = try box.run("tty", ["sh"], tty: true, stdin: true)
            let a = try box.driver.attach(id: id)
            try await Task.sleep(nanoseconds: 100_000_000)
            box.driver.resize(id: id, cols: 120, rows: 33)
            try await Task.sleep(nanoseconds: 100_000_000)
            a.write(Array("stty size; echo tty-$((6*7))\n".utf8))
            let out = await readUntil(a.stdout, contains: "tty-42")
            XCTAssertTrue(out.contains("33 120"), out)
            a.resize(cols: 90, rows: 20)
            try await Task.sleep(nanoseconds: 100_000_000)
            a.write(Array("stty size; exit 5\n".utf8))
            let code = await box.driver.waitForExit(id: id, timeout: 5)
            XCTAssertEqual(code, 5)
            let logged = Files.readString(log) ?? ""
            XCTAssertTrue(logged.contains("20 90"), logged)
            XCTAssertTrue(logged.contains("stdout F tty-42") || logged.contains("stdout P tty-42"), logged)
            a.close()
        } catch {
            await box.cleanup()
            throw error
        }
        await box.cleanup()
    }

    /// conmon writes the CRI log format that `kubectl logs` reads (CorralAPI's
    /// CRILog parses it): "TIME STREAM F|P CONTENT", P for unterminated output.
    func testConmonWritesCRILogEntries() async throws {
        let box = try RuntimeSandbox()
        do {
            let (id, _, log) = try box.run("logs", ["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.3; done; printf partial"])
            let deadline = Date().addingTimeInterval(20)
            while box.driver.exitCode(id: id) == nil, Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
            XCTAssertEqual(box.driver.exitCode(id: id), 0)
            let text = Files.readString(log) ?? ""
            let entries = text.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 3).map(String.init) }
            XCTAssertEqual(entries.map { $0.count == 4 ? "\($0[1]) \($0[2]) \($0[3])" : "?" },
                           ["stdout F line1", "stdout F line2", "stdout F line3", "stdout P partial"], text)
            let rfc3339 = try Regex(#"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"#)
            for e in entries { XCTAssertNotNil(e.first.flatMap { try? rfc3339.wholeMatch(in: $0) }, text) }
        } catch {
            await box.cleanup()
            throw error
        }
        await box.cleanup()
    }

    func testMemoryLimitOOMKilled() async throws {
        let box = try RuntimeSandbox()
        do {
            let (id, _, _) = try box.run("oom", ["tail", "/dev/zero"], resources: ["limits": ["memory": "16Mi"]])
            let code = await box.driver.waitForExit(id: id, timeout: 30)
            XCTAssertEqual(code, 137)
            let st = try box.driver.state(id: id)
            XCTAssertTrue(st.oomKilled)
            XCTAssertEqual(st.reason, "OOMKilled")
        } catch {
            await box.cleanup()
            throw error
        }
        await box.cleanup()
    }
}
