import CorralModel
import Foundation

/// The agent's record of one container attempt, kept at
/// DATA/pods/UID/containers/NAME/ATTEMPT.json so that a restarted agent
/// knows which runtime container belongs to which pod container.
struct ContainerAttempt: Equatable {
    var id: String
    var name: String
    var attempt: Int
    var image: String
    var imageID: String
    var pid: Int32
    var startedAt: Date
    var logPath: String

    var json: JSONValue {
        ["id": .string(id), "name": .string(name), "attempt": .int(Int64(attempt)), "image": .string(image),
         "imageID": .string(imageID), "pid": .int(Int64(pid)), "startedAt": .string(String(startedAt.timeIntervalSince1970)),
         "logPath": .string(logPath)]
    }

    init(id: String, name: String, attempt: Int, image: String, imageID: String, pid: Int32, startedAt: Date, logPath: String) {
        self.id = id; self.name = name; self.attempt = attempt; self.image = image
        self.imageID = imageID; self.pid = pid; self.startedAt = startedAt; self.logPath = logPath
    }

    init?(json v: JSONValue) {
        guard let id = v["id"]?.stringValue, let name = v["name"]?.stringValue, let attempt = v["attempt"]?.intValue else { return nil }
        self.init(id: id, name: name, attempt: Int(attempt), image: v["image"]?.stringValue ?? "", imageID: v["imageID"]?.stringValue ?? "",
                  pid: Int32(truncatingIfNeeded: v["pid"]?.intValue ?? 0),
                  startedAt: Date(timeIntervalSince1970: Double(v["startedAt"]?.stringValue ?? "") ?? 0),
                  logPath: v["logPath"]?.stringValue ?? "")
    }
}

/// Reads and writes `ContainerAttempt`s of one pod.
struct ContainerRecords {
    let podDir: String

    func dir(_ name: String) -> String { "\(podDir)/containers/\(name)" }

    func save(_ a: ContainerAttempt) throws {
        try FileManager.default.createDirectory(atPath: dir(a.name), withIntermediateDirectories: true)
        try Data(a.json.serialized()).write(to: URL(fileURLWithPath: "\(dir(a.name))/\(a.attempt).json"), options: .atomic)
    }

    /// Attempts of container `name`, oldest first.
    func attempts(_ name: String) -> [ContainerAttempt] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir(name))) ?? []
        return files.compactMap { f -> ContainerAttempt? in
            guard f.hasSuffix(".json"), let d = FileManager.default.contents(atPath: "\(dir(name))/\(f)"),
                  let v = try? JSONParser.parse([UInt8](d)) else { return nil }
            return ContainerAttempt(json: v)
        }.sorted { $0.attempt < $1.attempt }
    }

    /// Every attempt of every container of the pod.
    func all() -> [ContainerAttempt] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(podDir)/containers")) ?? []
        return names.flatMap { attempts($0) }
    }

    func remove(_ a: ContainerAttempt) {
        try? FileManager.default.removeItem(atPath: "\(dir(a.name))/\(a.attempt).json")
    }
}
