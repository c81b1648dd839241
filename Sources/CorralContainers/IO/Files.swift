import Foundation

/// File helpers that report failures as `ContainersError.io`.
enum Files {
    static func mkdirs(_ path: String) throws {
        guard !path.isEmpty else { return }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw ContainersError.io(path: path, message: "\(error.localizedDescription)")
        }
    }

    /// Writes atomically (temp file + rename) so a crash never leaves half a file.
    static func write(_ path: String, _ bytes: [UInt8]) throws {
        do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw ContainersError.io(path: path, message: "\(error.localizedDescription)")
        }
    }

    static func readString(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}
