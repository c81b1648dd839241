import XCTest
@testable import CorralImages

final class CorralImagesModuleTests: XCTestCase {
    func testModuleLinks() { _ = CorralImagesModule.self }
}
