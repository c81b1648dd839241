import CorralAPI
import CorralModel
import CorralStore
import Foundation

/// Why a Deployment sync stopped early (it is retried).
enum DeploymentSyncError: Error, CustomStringConvertible {
    /// The Deployment or ReplicaSet changed since it was read.
    case stale(String)
    /// The new ReplicaSet's name is taken by another template; collisionCount was raised.
    case hashCollision(String)
    /// The ReplicaSet already exists; the next sync picks it up.
    case alreadyCreated(String)

    var description: String {
        switch self {
        case .stale(let s): return "\(s) changed while syncing"
        case .hashCollision(let s): return "hash collision creating replica set \(s)"
        case .alreadyCreated(let s): return "replica set \(s) already exists"
        }
    }
}

/// Applies a Deployment plan's writes in order through `ObjectService`,
/// stopping at the first failure (the sync is then retried).
struct DeploymentExecutor {
    let objects: ObjectService
    let events: EventRecorder
    let deployType: ResourceType
    let rsType: ResourceType

    func apply(_ actions: [DeploymentAction], to deployment: JSONValue) async throws {
        var current = deployment
        let planned = deployment[path: ["metadata", "generation"]]?.intValue ?? 0
        let ns = PodState.namespace(deployment)
        for action in actions {
            switch action {
            case .createReplicaSet(let rs):
                try await create(rs, for: current)
            case .updateReplicaSet(let name, let uid, let from, let replicas, let annotations, let minReady):
                _ = try await objects.modify(rsType, namespace: ns, name: name) { cur in
                    guard uid.isEmpty || PodState.uid(cur) == uid, Int(cur[path: ["spec", "replicas"]]?.intValue ?? 1) == from else {
                        throw DeploymentSyncError.stale("replica set \(name)")
                    }
                    var c = cur
                    c.set(path: ["spec", "replicas"], to: .int(Int64(replicas)))
                    c.set(path: ["metadata", "annotations"], to: Self.object(annotations))
                    c.set(path: ["spec", "minReadySeconds"], to: minReady > 0 ? .int(minReady) : nil)
                    return c
                }
            case .deleteReplicaSet(let name, let uid):
                do {
                    _ = try await objects.delete(rsType, namespace: ns, name: name, options: DeleteOptions(preconditionUID: uid))
                } catch let e as APIError where e.code == 404 {}
            case .updateDeployment(let annotations, let status):
                current = try await writeDeployment(current, annotations: annotations, status: status, planned: planned)
            case .event(let type, let reason, let message):
                await events.record(object: current, type: type, reason: reason, message: message)
            }
        }
    }

    /// Creates the new ReplicaSet; on a name clash decides between "already
    /// ours" and a hash collision, on other errors reports ReplicaSetCreateError.
    func create(_ rs: JSONValue, for d: JSONValue) async throws {
        let ns = PodState.namespace(d), name = PodState.name(rs)
        do {
            _ = try await objects.create(rsType, namespace: ns, object: rs)
        } catch let e as APIError where e.reason == "AlreadyExists" {
            let existing = try await objects.get(rsType, namespace: ns, name: name)
            if PodState.controllerUID(existing) == PodState.uid(d),
               TemplateHash.equalIgnoringHash(existing[path: ["spec", "template"]] ?? .null, d[path: ["spec", "template"]] ?? .null) {
                throw DeploymentSyncError.alreadyCreated(name)
            }
            if case .updateDeployment(let a, let s) = DeploymentPlanner.collided(deployment: d) {
                _ = try await writeDeployment(d, annotations: a, status: s, planned: Self.generation(d))
            }
            throw DeploymentSyncError.hashCollision(name)
        } catch {
            if "\(error)".contains("because it is being terminated") { throw error }
            var cur = d
            for a in DeploymentPlanner.createFailed(deployment: d, replicaSet: name, error: "\(error)", now: Date()) {
                switch a {
                case .updateDeployment(let an, let s):
                    cur = (try? await writeDeployment(cur, annotations: an, status: s, planned: Self.generation(d))) ?? cur
                case .event(let t, let r, let m): await events.record(object: cur, type: t, reason: r, message: m)
                default: break
                }
            }
            throw error
        }
    }

    /// Writes annotations (when changed) and status over `d` (the Deployment
    /// as last written). The status subresource keeps only status, so changed
    /// annotations go through the main resource first; the `generation` bumps
    /// that causes are our own, so a status that observed `planned` (the
    /// generation the plan was made from) observes the resulting one.
    func writeDeployment(_ d: JSONValue, annotations: [String: String], status: JSONValue, planned: Int64) async throws -> JSONValue {
        let ns = PodState.namespace(d), name = PodState.name(d), uid = PodState.uid(d)
        let expected = Self.generation(d)
        var status = status
        if status["observedGeneration"]?.intValue == planned { status["observedGeneration"] = .int(expected) }
        // One status write carries the revision annotations too, as kube's
        // controller does (the status strategy keeps annotations, not generation).
        return try await objects.modify(deployType, namespace: ns, name: name, subresource: "status") { cur in
            guard PodState.uid(cur) == uid, Self.generation(cur) == expected else {
                throw DeploymentSyncError.stale("deployment \(name)")
            }
            var c = cur
            c["status"] = status
            c.set(path: ["metadata", "annotations"], to: Self.object(annotations))
            return c
        }
    }

    static func generation(_ o: JSONValue) -> Int64 { o[path: ["metadata", "generation"]]?.intValue ?? 0 }

    /// A string map as a JSON object with sorted keys (nil when empty).
    static func object(_ m: [String: String]) -> JSONValue? {
        m.isEmpty ? nil : .object(JSONObject(m.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
    }
}
