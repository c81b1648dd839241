import CorralContainers
import CorralModel
import Foundation

extension RuntimePodBackend {
    /// Runs one probe (exec, httpGet, tcpSocket) with its timeoutSeconds; true = success.
    func probe(_ pod: JSONValue, container: String, probe: JSONValue, sandbox: SandboxInfo) async -> Bool {
        let timeout = Double(max(probe["timeoutSeconds"]?.intValue ?? 1, 1))
        let spec = PodPlanner.containerSpec(pod, container)?.spec
        if let cmd = probe[path: ["exec", "command"]]?.arrayValue?.compactMap(\.stringValue) {
            guard let last = records(Self.uid(pod)).attempts(container).last,
                  let session = try? driver.exec(id: last.id, command: cmd, tty: false, stdin: false) else { return false }
            let drain = Task { for await _ in session.stdout {}; for await _ in session.stderr {} }
            defer { drain.cancel() }
            return await withTimeout(timeout) { await session.wait() } == 0
        }
        if let h = probe["httpGet"] {
            guard let port = ProbeTarget.port(h["port"], container: spec) else { return false }
            let host = h["host"]?.stringValue ?? sandbox.podIP
            let path = h["path"]?.stringValue ?? "/"
            let headers = (h["httpHeaders"]?.arrayValue ?? []).compactMap { hv -> (String, String)? in
                guard let n = hv["name"]?.stringValue else { return nil }
                return (n, hv["value"]?.stringValue ?? "")
            }
            return await Task.detached { ProbeTarget.httpGet(host: host, port: port, path: path, headers: headers, timeout: timeout) }.value
        }
        if let t = probe["tcpSocket"] {
            guard let port = ProbeTarget.port(t["port"], container: spec) else { return false }
            let host = t["host"]?.stringValue ?? sandbox.podIP
            return await Task.detached { ProbeTarget.connect(host: host, port: port, timeout: timeout).map { close($0); return true } ?? false }.value
        }
        return true
    }
}

/// Blocking socket helpers for probes and port-forwarding (run off the cooperative pool).
enum ProbeTarget {
    /// A numeric port, or a named containerPort.
    static func port(_ v: JSONValue?, container: JSONValue?) -> Int? {
        if let i = v?.intValue { return Int(i) }
        guard let name = v?.stringValue else { return nil }
        if let i = Int(name) { return i }
        return (container?["ports"]?.arrayValue ?? []).first { $0["name"]?.stringValue == name }?["containerPort"]?.intValue.map(Int.init)
    }

    /// A connected TCP socket to host:port, or nil after `timeout` seconds.
    static func connect(host: String, port: Int, timeout: TimeInterval) -> Int32? {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { return nil }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return nil }
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 && errno != EINPROGRESS { close(fd); return nil }
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else { close(fd); return nil }
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        guard err == 0 else { close(fd); return nil }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        return fd
    }

    /// HTTP GET; success for status 200–399, as the kubelet counts it.
    static func httpGet(host: String, port: Int, path: String, headers: [(String, String)], timeout: TimeInterval) -> Bool {
        guard let fd = connect(host: host, port: port, timeout: timeout) else { return false }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var req = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: kube-probe/1.32\r\nAccept: */*\r\nConnection: close\r\n"
        for (n, v) in headers { req += "\(n): \(v)\r\n" }
        req += "\r\n"
        let bytes = Array(req.utf8)
        guard send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { return false }
        var buf = [UInt8](repeating: 0, count: 64)
        let n = recv(fd, &buf, buf.count, 0)
        guard n > 12 else { return false }
        let line = String(decoding: buf[0..<n], as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, let code = Int(parts[1]) else { return false }
        return (200..<400).contains(code)
    }
}
