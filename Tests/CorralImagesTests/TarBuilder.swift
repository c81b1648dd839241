import Foundation
@testable import CorralImages

/// Writes ustar archives byte by byte so tests can build hostile entries (absolute names, `..`,
/// outside hard links) that the `tar` command would sanitise.
struct TarBuilder {
    private(set) var bytes: [UInt8] = []

    mutating func file(_ name: String, _ content: String, mode: Int = 0o644, uid: Int = 0, xattrs: [String: String] = [:]) {
        file(name, bytes: Array(content.utf8), mode: mode, uid: uid, xattrs: xattrs)
    }
    mutating func file(_ name: String, bytes content: [UInt8], mode: Int = 0o644, uid: Int = 0, xattrs: [String: String] = [:]) {
        if !xattrs.isEmpty { pax(xattrs.map { ("SCHILY.xattr." + $0.key, $0.value) }) }
        header(name, type: "0", size: content.count, mode: mode, uid: uid)
        data(content)
    }
    mutating func dir(_ name: String, mode: Int = 0o755) { header(name, type: "5", size: 0, mode: mode) }
    mutating func symlink(_ name: String, to target: String) { header(name, type: "2", size: 0, mode: 0o777, link: target) }
    mutating func hardlink(_ name: String, to target: String) { header(name, type: "1", size: 0, mode: 0o644, link: target) }

    /// The archive with its two zero end blocks.
    var finished: [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }

    private mutating func pax(_ records: [(String, String)]) {
        var body: [UInt8] = []
        for (k, v) in records {
            let core = " \(k)=\(v)\n"
            var len = core.utf8.count + 1
            while String(len).utf8.count + core.utf8.count != len { len += 1 }
            body += Array((String(len) + core).utf8)
        }
        header("PaxHeaders/x", type: "x", size: body.count, mode: 0o644)
        data(body)
    }

    private mutating func data(_ d: [UInt8]) {
        bytes += d
        let pad = (512 - d.count % 512) % 512
        bytes += [UInt8](repeating: 0, count: pad)
    }

    private mutating func header(_ name: String, type: Character, size: Int, mode: Int, uid: Int = 0, link: String = "") {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ off: Int, _ len: Int) { for (i, b) in s.utf8.prefix(len).enumerated() { h[off + i] = b } }
        func octal(_ v: Int, _ off: Int, _ len: Int) { put(String(repeating: "0", count: max(0, len - 1 - String(v, radix: 8).count)) + String(v, radix: 8), off, len - 1) }
        precondition(name.utf8.count <= 100 && link.utf8.count <= 100, "TarBuilder keeps names short")
        put(name, 0, 100); octal(mode, 100, 8); octal(uid, 108, 8); octal(0, 116, 8)
        octal(size, 124, 12); octal(1_700_000_000, 136, 12)
        put("        ", 148, 8); h[156] = type.asciiValue!; put(link, 157, 100)
        put("ustar\u{0}00", 257, 8); put("root", 265, 32); put("root", 297, 32)
        octal(h.reduce(0) { $0 + Int($1) }, 148, 7)
        bytes += h
    }
}

/// Runs a command (gzip, zstd, mount helpers) and returns its stdout.
@discardableResult
func runCommand(_ argv: [String], stdin: [UInt8] = []) throws -> [UInt8] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    let inPipe = Pipe(), outPipe = Pipe()
    p.standardInput = inPipe
    p.standardOutput = outPipe
    try p.run()
    let writer = Thread { inPipe.fileHandleForWriting.write(Data(stdin)); try? inPipe.fileHandleForWriting.close() }
    writer.start()
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw NSError(domain: "run", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: argv.joined(separator: " ")]) }
    return Array(out)
}
