import Foundation
import CorralModel

/// Why a disk image operation failed.
public enum DiskImageError: Error, CustomStringConvertible, Equatable {
    /// The image itself names a backing file; following it could expose arbitrary host files.
    case namesBackingFile(image: String, backing: String)
    /// Neither qcow2 nor raw.
    case unsupportedFormat(image: String, format: String)
    /// qemu-img failed or printed something unreadable.
    case toolFailed(String)
    /// An existing file is in the way and does not match what was asked.
    case conflict(String)

    public var description: String {
        switch self {
        case .namesBackingFile(let i, let b): return "disk image \(i) names a backing file (\(b)); refusing"
        case .unsupportedFormat(let i, let f): return "disk image \(i) has format \(f); only qcow2 and raw are supported"
        case .toolFailed(let m): return "qemu-img: \(m)"
        case .conflict(let m): return m
        }
    }
}

/// What `qemu-img info` says about an image.
public struct DiskImageInfo: Sendable, Equatable {
    /// `qcow2`, `raw`, … as qemu-img names it.
    public var format: String
    /// Guest-visible size in bytes.
    public var virtualSize: Int64
    /// Bytes used on the host.
    public var actualSize: Int64?
    /// The backing file the image names, if any.
    public var backingFile: String?

    /// Parses `qemu-img info --output=json` output.
    public static func parse(json: [UInt8]) throws -> DiskImageInfo {
        let v: JSONValue
        do { v = try JSONParser.parse(json) } catch { throw DiskImageError.toolFailed("unreadable info output: \(error)") }
        guard let format = v["format"]?.stringValue, let size = v["virtual-size"]?.intValue else {
            throw DiskImageError.toolFailed("info output lacks format or virtual-size")
        }
        return DiskImageInfo(format: format, virtualSize: size, actualSize: v["actual-size"]?.intValue,
                             backingFile: v["full-backing-filename"]?.stringValue ?? v["backing-filename"]?.stringValue)
    }
}

/// qcow2 overlays over containerDisk images, empty disks, and image inspection (via qemu-img).
public enum DiskImages {
    /// Reads an image's format, size and backing file without following the backing chain.
    public static func inspect(path: String) throws -> DiskImageInfo {
        let out = try qemuImg(["info", "--output=json", "-U", path])
        return try DiskImageInfo.parse(json: out)
    }

    /// Creates `overlay` as a qcow2 image backed by `base` (whose format is detected and checked),
    /// so the guest writes into the overlay and the shared image stays untouched.
    /// Refuses a base that itself names a backing file. Returns the base's info.
    @discardableResult
    public static func createOverlay(base: String, overlay: String) throws -> DiskImageInfo {
        let info = try inspect(path: base)
        guard info.format == "qcow2" || info.format == "raw" else {
            throw DiskImageError.unsupportedFormat(image: base, format: info.format)
        }
        if let backing = info.backingFile { throw DiskImageError.namesBackingFile(image: base, backing: backing) }
        let absBase = URL(fileURLWithPath: base).standardizedFileURL.path
        try atomically(overlay) { tmp in
            _ = try qemuImg(["create", "-q", "-f", "qcow2", "-F", info.format, "-b", absBase, tmp])
        }
        return info
    }

    /// Creates a sparse qcow2 image of `size` bytes at `path`. An existing qcow2 at least that
    /// large is kept (the agent may retry after a crash); anything else there is an error.
    public static func createEmptyDisk(path: String, size: Int64) throws {
        guard size > 0 else { throw DiskImageError.conflict("empty disk \(path): size must be positive") }
        if FileManager.default.fileExists(atPath: path) {
            let info = try inspect(path: path)
            guard info.format == "qcow2", info.virtualSize >= size, info.backingFile == nil else {
                throw DiskImageError.conflict("\(path) exists and is not a \(size)-byte qcow2 empty disk")
            }
            return
        }
        try atomically(path) { tmp in
            _ = try qemuImg(["create", "-q", "-f", "qcow2", tmp, String(size)])
        }
    }

    private static func atomically(_ path: String, _ body: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp").path
        do {
            try body(tmp)
            guard rename(tmp, path) == 0 else {
                throw DiskImageError.toolFailed("rename to \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(tmp)
            throw error
        }
    }

    private static func qemuImg(_ args: [String]) throws -> [UInt8] {
        guard let tool = Command.find("qemu-img") else { throw DiskImageError.toolFailed("qemu-img not found (apt-get install qemu-utils)") }
        let out: Command.Output
        do { out = try Command.run(tool, args) } catch { throw DiskImageError.toolFailed("cannot run: \(error)") }
        guard out.status == 0 else { throw DiskImageError.toolFailed(out.stderr.isEmpty ? "exit \(out.status)" : out.stderr) }
        return out.stdout
    }
}
