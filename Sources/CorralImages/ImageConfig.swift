import Foundation

/// The parts of an image config blob the node needs to run a container.
public struct ImageConfig: Equatable, Sendable {
    /// e.g. `amd64`.
    public var architecture: String
    /// e.g. `linux`.
    public var os: String
    /// `KEY=value` entries.
    public var env: [String]
    /// ENTRYPOINT, nil when unset.
    public var entrypoint: [String]?
    /// CMD, nil when unset.
    public var cmd: [String]?
    /// WORKDIR, empty when unset.
    public var workingDir: String
    /// USER (`name`, `uid`, `uid:gid`), empty when unset.
    public var user: String
    /// Ports as the config spells them, e.g. `80/tcp`, sorted.
    public var exposedPorts: [String]
    /// Image labels.
    public var labels: [String: String]
    /// STOPSIGNAL, e.g. `SIGTERM`.
    public var stopSignal: String?
    /// Volume paths, sorted.
    public var volumes: [String]
    /// Digests of the uncompressed layer tars, bottom first.
    public var diffIDs: [Digest]
    /// RFC 3339 creation time, if the image has one.
    public var created: String?

    /// Decodes a config blob (OCI or docker format).
    public static func parse(_ bytes: [UInt8]) throws -> ImageConfig {
        struct Inner: Decodable {
            var Env: [String]?
            var Entrypoint: [String]?
            var Cmd: [String]?
            var WorkingDir: String?
            var User: String?
            var ExposedPorts: [String: Empty]?
            var Labels: [String: String]?
            var StopSignal: String?
            var Volumes: [String: Empty]?
        }
        struct Empty: Decodable {}
        struct RootFS: Decodable { var type: String?; var diff_ids: [Digest]? }
        struct Outer: Decodable {
            var architecture: String?
            var os: String?
            var config: Inner?
            var rootfs: RootFS?
            var created: String?
        }
        let o: Outer
        do { o = try JSONDecoder().decode(Outer.self, from: Data(bytes)) } catch {
            throw ImageError.invalidManifest("image config: \(error)")
        }
        let c = o.config
        return ImageConfig(architecture: o.architecture ?? "", os: o.os ?? "", env: c?.Env ?? [],
                           entrypoint: c?.Entrypoint, cmd: c?.Cmd, workingDir: c?.WorkingDir ?? "", user: c?.User ?? "",
                           exposedPorts: (c?.ExposedPorts.map { Array($0.keys) } ?? []).sorted(),
                           labels: c?.Labels ?? [:], stopSignal: c?.StopSignal,
                           volumes: (c?.Volumes.map { Array($0.keys) } ?? []).sorted(),
                           diffIDs: o.rootfs?.diff_ids ?? [], created: o.created)
    }
}
