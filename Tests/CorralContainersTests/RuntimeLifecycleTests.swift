import CorralModel
import Foundation
import XCTest
@testable import CorralContainers

final class RuntimeLifecycleTests: XCTestCase {
    func testRunLogStopDelete() async throws {
        let box = try RuntimeSandbox()
        do {
            let t0 = Date()
            let (id, pid, log) = try box.run("life", ["sh", "-c", "echo hi; echo oops >&2; trap 'echo bye; exit 0' TERM; sleep 30 & wait"])
            let createToRunning = Date().timeIntervalSince(t0)
            print("create→running: \(Int(createToRunning * 1000)) ms, pid \(pid)")
            XCTAssertGreaterThan(pid, 0)
            let st = try box.driver.state(id: id)
            XCTAssertEqual(st.status, .running)
            XCTAssertEqual(st.pid, pid)
            XCTAssertNil(st.exitCode)
            let monitor = Int32(Files.readString(box.driver.paths(id).conmonPidFile)!)!
            XCTAssertTrue(ConmonRuntime.isConmon(pid: monitor, id: id))
            // conmon is detached from us (re-parented, own session), so it outlives the daemon.
            let stat = Files.readString("/proc/\(monitor)/stat")!
            let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
            XCTAssertNotEqual(Int32(fields[1]), getpid(), "conmon's parent is not the daemon")
            XCTAssertEqual(Int32(fields[3]), monitor, "conmon leads its own session")
            let logged = await RuntimeSandbox.eventually { (Files.readString(log) ?? "").contains("stderr F oops") }
            XCTAssertTrue(logged, Files.readString(log) ?? "no log")
            let text = Files.readString(log) ?? ""
            XCTAssertNotNil(text.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}[+-]\d\d:\d\d stdout F hi$"#, options: .regularExpression, range: nil, locale: nil) ?? text.range(of: "stdout F hi"))
            let code = try await box.driver.stop(id: id, grace: 5)
            XCTAssertEqual(code, 0, "the TERM trap exits 0")
            let after = try box.driver.state(id: id)
            XCTAssertEqual(after.status, .stopped)
            XCTAssertEqual(after.reason, "Completed")
            XCTAssertTrue((Files.readString(log) ?? "").contains("stdout F bye"))

            // SIGTERM ignored → SIGKILL after the grace period.
            let (id2, _, _) = try box.run("kill", ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"])
            let t1 = Date()
            let code2 = try await box.driver.stop(id: id2, grace: 1)
            XCTAssertEqual(code2, 137)
            XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t1), 1)
            XCTAssertEqual(try box.driver.state(id: id2).reason, "Error")

            // A handler that re-raises TERM as its death (as a non-init process would die) → 143.
            let (id3, _, _) = try box.run("term", ["sh", "-c", "trap 'exit 143' TERM; sleep 30 & wait"])
            let code3 = try await box.driver.stop(id: id3, grace: 5)
            XCTAssertEqual(code3, 143)

            // Delete leaves nothing behind.
            let conmonPid = Int32(Files.readString(box.driver.paths(id).conmonPidFile)!.trimmingCharacters(in: .whitespaces))!
            let bundle = box.driver.paths(id).bundle
            try await box.driver.delete(id: id)
            XCTAssertFalse(ConmonRuntime.isConmon(pid: conmonPid, id: id))
            XCTAssertFalse(Files.exists("\(box.driver.runtimeRoot)/\(id)"), "runc state removed")
            XCTAssertFalse(Files.exists(bundle))
            let cgroupDirs = CgroupLocator.directories(for: "corral-test/\(id)")
            XCTAssertFalse(cgroupDirs.isEmpty)
            XCTAssertEqual(cgroupDirs.filter(Files.exists), [], "cgroup directories removed")
            XCTAssertThrowsError(try box.driver.state(id: id))
            XCTAssertFalse(try box.driver.list().contains(id))
        } catch {
            await box.cleanup()
            throw error
        }
        await box.cleanup()
    }

    func testCreateFailureAndDeleteOfCreatedContainer() async throws {
        let box = try RuntimeSandbox()
        do {
            let id = box.newID("missing")
            let rootfs = try box.makeRootfs(id)
            let spec = try box.spec(id: id, rootfs: rootfs, command: ["/no/such/binary"])
            XCTAssertThrowsError(try box.driver.create(id: id, bundle: "\(box.dir)/bundles/\(id)", spec: spec, logPath: "\(box.dir)/logs/\(id).log")) {
                XCTAssertTrue("\($0)".contains("no such file or directory") || "\($0)".contains("not found"), "\($0)")
            }
            try await box.driver.delete(id: id)
            XCTAssertFalse(Files.exists("\(box.dir)/bundles/\(id)"))

            // created but never started: state "created", delete removes it.
            let id2 = box.newID("created")
            let pid = try box.driver.create(id: id2, bundle: "\(box.dir)/bundles/\(id2)",
                                            spec: try box.spec(id: id2, rootfs: try box.makeRootfs(id2), command: ["sleep", "5"]),
                                            logPath: "\(box.dir)/logs/\(id2).log", start: false)
            let st = try box.driver.state(id: id2)
            XCTAssertEqual(st.status, .created)
            XCTAssertEqual(st.pid, pid)
            try await box.driver.delete(id: id2)
            XCTAssertThrowsError(try box.driver.state(id: id2))
        } catch {
            await box.cleanup()
            throw error
        }
        await box.cleanup()
    }

    func testRuntimeDefaultSeccompLetsBusyboxServe() async throws {
        let box = try RuntimeSandbox()
        do {
            let netns = try box.makeNetns()
            let (id, _, _) = try box.run("httpd", ["sh", "-c", "mkdir -p /www && echo served > /www/index.html && httpd -f -p 8080 -h /www"], netns: netns)
            var fetched = ""
            for _ in 0..<50 {
                let e = try box.driver.exec(id: id, command: ["wget", "-q", "-O-", "http://127.0.0.1:8080/"], tty: false, stdin: false)
                async let out = collect(e.stdout)
                let code = await e.wait()
                fetched = await out
                if code == 0 { break }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            XCTAssertEqual(fetched, "served\n")
            let nc = try box.driver.exec(id: id, command: ["sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 8080"], tty: false, stdin: false)
            async let ncOut = collect(nc.stdout)
            let ncCode = await nc.wait()
            let ncText = await ncOut
            XCTAssertEqual(ncCode, 0)
            XCTAssertTrue(ncText.hasPrefix("HTTP/1.") && ncText.contains("served"), ncText)
            let status = try box.driver.exec(id: id, command: ["grep", "Seccomp:", "/proc/self/status"], tty: false, stdin: false)
            let statusText = await collect(status.stdout)
            XCTAssertTrue(statusText.contains("2"), "a seccomp filter is installed: \(statusText)")
        } catch {
            await box.cleanup()
            throw error
        }
        await box.cleanup()
    }
}
