import Foundation
import X509
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A fresh temporary directory, removed by the returned cleanup registration on the test case.
func makeTempDir(_ test: XCTestCase) throws -> String {
    let base = FileManager.default.temporaryDirectory.path
    let path = "\(base)/corral-pki-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// The permission bits of a file, via stat(2).
func permissions(_ path: String) -> mode_t? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return st.st_mode & 0o7777
}

/// Modification time (seconds, nanoseconds) and inode of a file, to detect rewrites.
func fileStamp(_ path: String) -> [Int] {
    var st = stat()
    guard stat(path, &st) == 0 else { return [] }
    return [Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec), Int(st.st_ino)]
}

/// Contents of a text file.
func readText(_ path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8)
}

/// Parses a PEM certificate.
func certificate(_ pem: String) throws -> Certificate {
    try Certificate(pemEncoded: pem)
}

/// DER bytes of a PEM certificate.
func der(_ pem: String) throws -> [UInt8] {
    try Certificate(pemEncoded: pem).serializeAsPEM().derBytes
}

/// Full path of an executable on $PATH, or nil.
func which(_ tool: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
        let candidate = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// Runs a program to completion; returns exit status and combined stdout+stderr.
@discardableResult
func runTool(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
