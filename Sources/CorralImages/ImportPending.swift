#if canImport(Glibc)
import Glibc
#endif

/// Outcome of `importPending`: per file, the images imported or the error that stopped it.
public struct PendingImportReport: Sendable {
    /// Files imported and moved to `imported/`, with the images they held.
    public var imported: [(file: String, images: [ImageRecord])] = []
    /// Files that failed (left in place so a fixed copy can replace them), with the reason.
    public var failed: [(file: String, error: String)] = []
}

extension ImageStore {
    /// File names `importPending` picks up, as k3s's `agent/images` directory does.
    public static let importableSuffixes = [".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst", ".tar.xz", ".tar.bz2", ".oci"]

    /// Imports every archive in `directory` (e.g. `DATA_DIR/images/import`), moving each imported
    /// file to `directory/imported/` so it is not imported again. Failures are reported, not thrown.
    public func importPending(directory: String) -> PendingImportReport {
        var report = PendingImportReport()
        for name in FileOps.list(directory) {
            let path = directory + "/" + name
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
                  ImageStore.importableSuffixes.contains(where: { name.hasSuffix($0) }) else { continue }
            do {
                let images = try importArchive(path: path)
                let doneDir = directory + "/imported"
                try FileOps.makeDirectories(doneDir)
                guard rename(path, doneDir + "/" + name) == 0 else { throw FileOps.fail("rename", path) }
                report.imported.append((name, images))
            } catch {
                report.failed.append((name, "\(error)"))
            }
        }
        return report
    }
}
