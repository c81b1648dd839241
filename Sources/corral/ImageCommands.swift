import ArgumentParser
import CorralModel
import Foundation

/// `corral image import|ls`: the node's image store. These act on the node
/// where they run (like `k3s ctr images`): import hands the archive to the
/// daemon's import directory and waits for the daemon to take it.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "image", abstract: "Manage the node's image store.",
                                                    subcommands: [ImageImport.self, ImageList.self, ImageRemove.self])
}

struct ImageImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import",
                                                    abstract: "Import an OCI image archive (oci-layout tar) or a `docker save` archive.")
    @Option(help: "corrald's data directory.") var dataDir = "/var/lib/corral"
    @Option(help: "Seconds to wait for the daemon to import it.") var timeout: Double = 120
    @Argument(help: "The archive (.tar or .tar.gz).") var file: String

    func run() throws {
        let fm = FileManager.default
        guard fm.fileExists(atPath: file) else { throw ValidationError("no such file: \(file)") }
        let dir = dataDir + "/images/import"
        guard fm.fileExists(atPath: dir) else { throw ValidationError("\(dir) does not exist: is corrald running with --data-dir \(dataDir)?") }
        let base = (file as NSString).lastPathComponent
        let name = base.hasSuffix(".tar") || base.hasSuffix(".tar.gz") ? base : base + ".tar"
        let staging = "\(dir)/.\(name).part"
        try? fm.removeItem(atPath: staging)
        try fm.copyItem(atPath: file, toPath: staging)
        // Appears under its final name only when complete, so the daemon never reads half a file.
        guard rename(staging, "\(dir)/\(name)") == 0 else {
            throw ValidationError("cannot move \(staging) into place: \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while fm.fileExists(atPath: "\(dir)/\(name)") {
            if Date() > deadline {
                throw ValidationError("corrald did not import \(name) within \(Int(timeout)) s (see its log: the archive may be invalid)")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        print("imported \(base)")
        try ImageList.printImages(dataDir: dataDir)
    }
}

struct ImageList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the node's images.")
    @Option(help: "corrald's data directory.") var dataDir = "/var/lib/corral"

    func run() throws { try ImageList.printImages(dataDir: dataDir) }

    static func printImages(dataDir: String) throws {
        guard let data = FileManager.default.contents(atPath: dataDir + "/images/images.json") else {
            print("REFERENCE\tIMAGE ID\tSIZE")
            return
        }
        let index = try JSONParser.parse([UInt8](data))
        print("REFERENCE\tIMAGE ID\tSIZE")
        for img in index["images"]?.arrayValue ?? [] {
            let id = String((img["configDigest"]?.stringValue ?? "").dropFirst("sha256:".count).prefix(12))
            let size = Double(img["size"]?.intValue ?? 0) / 1_048_576
            for ref in img["references"]?.arrayValue ?? [] {
                print("\(ref.stringValue ?? "")\t\(id)\t\(String(format: "%.1f MiB", size))")
            }
        }
    }
}

struct ImageRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove an image from the node (refused while a container uses it).")
    @Option(help: "corrald's data directory.") var dataDir = "/var/lib/corral"
    @Argument(help: "Image reference or ID.") var reference: String

    func run() throws {
        let dir = dataDir + "/images/remove"
        guard FileManager.default.fileExists(atPath: dir) else { throw ValidationError("\(dir) does not exist: is corrald running with --data-dir \(dataDir)?") }
        let id = UUID().uuidString
        try Data(reference.utf8).write(to: URL(fileURLWithPath: "\(dir)/\(id).request"), options: .atomic)
        let result = "\(dir)/\(id).result"
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: result) {
            if Date() > deadline { throw ValidationError("corrald did not answer within 30 s") }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let answer = (try? String(contentsOfFile: result, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: result)
        if answer.hasPrefix("error: ") { throw ValidationError(String(answer.dropFirst(7))) }
        print(answer)
    }
}
