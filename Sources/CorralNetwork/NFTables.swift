import Foundation

/// Runs the `nft` tool (Debian `nftables`), optionally inside a named namespace via `ip netns exec`.
public enum NFTables {
    /// Loads `script` with `nft -f -` (one atomic transaction).
    public static func apply(_ script: String, netns: String? = nil) throws {
        _ = try run(["-f", "-"], stdin: script, netns: netns)
    }

    /// `nft list table FAMILY NAME` output, or nil if the table does not exist.
    public static func listTable(_ name: String, family: String = "ip", netns: String? = nil) throws -> String? {
        do { return try run(["list", "table", family, name], stdin: nil, netns: netns) } catch NetworkError.command(_, _, let err)
            where err.contains("No such file or directory") { return nil }
    }

    /// Deletes table FAMILY NAME if present.
    public static func deleteTable(_ name: String, family: String = "ip", netns: String? = nil) throws {
        try apply("table \(family) \(name)\ndelete table \(family) \(name)\n", netns: netns)
    }

    /// Runs `nft ARGS` (or `ip netns exec NS nft ARGS`), feeding `stdin`; returns stdout.
    static func run(_ args: [String], stdin: String?, netns: String?) throws -> String {
        let nft = try Tool.find("nft")
        var argv = [nft] + args
        if let ns = netns { argv = [try Tool.find("ip"), "netns", "exec", ns] + argv }
        return try Tool.run(argv, stdin: stdin)
    }
}

/// Finding and running external tools.
enum Tool {
    /// Absolute path of `name` in PATH or the sbin directories; throws naming the package to install.
    static func find(_ name: String) throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for dir in path + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
            let p = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        let pkg = ["nft": "nftables", "ip": "iproute2", "ping": "iputils-ping"][name] ?? name
        throw NetworkError.command(name, status: 127, stderr: "not found; install the Debian package \(pkg)")
    }

    /// Runs argv to completion; throws `.command` on a non-zero exit. Returns stdout.
    static func run(_ argv: [String], stdin: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        // Write then close stdin; read both pipes concurrently so a chatty tool cannot block.
        final class Sink: @unchecked Sendable { var data = Data() }
        let errSink = Sink()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errSink.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? inp.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        let stdout = String(decoding: outData, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw NetworkError.command(argv.joined(separator: " "), status: p.terminationStatus,
                                       stderr: String(decoding: errSink.data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return stdout
    }
}
