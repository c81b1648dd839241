import XCTest
@testable import CorralControllers

final class ControllersModuleTests: XCTestCase {
    func testModuleLinks() { _ = GarbageCollector.self }
}
