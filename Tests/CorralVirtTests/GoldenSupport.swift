import Foundation
import XCTest
import CorralModel
@testable import CorralVirt

/// Golden-file helpers: inputs and expected outputs live in Golden/ beside this file.
/// `CORRAL_UPDATE_GOLDEN=1 swift test --filter CorralVirtTests` rewrites the expected files.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func vmi(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: directory.appendingPathComponent(name + ".vmi.json"))
        return try JSONParser.parse([UInt8](data))
    }

    /// Compares `actual` with Golden/`file`, or rewrites it when updating.
    static func check(_ actual: String, file: String, line: UInt = #line) throws {
        let url = directory.appendingPathComponent(file)
        if ProcessInfo.processInfo.environment["CORRAL_UPDATE_GOLDEN"] == "1" {
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            XCTFail("missing golden file \(file); run with CORRAL_UPDATE_GOLDEN=1", line: line)
            return
        }
        if expected != actual {
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let firstDiff = zip(e, a).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(e.count, a.count)
            let exp = firstDiff < e.count ? String(e[firstDiff]) : "<end>"
            let act = firstDiff < a.count ? String(a[firstDiff]) : "<end>"
            XCTFail("\(file) differs at line \(firstDiff + 1):\n expected: \(exp)\n   actual: \(act)", line: line)
        }
    }
}

/// Runs a host tool and returns (exit status, combined output).
func runTool(_ path: String, _ args: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
