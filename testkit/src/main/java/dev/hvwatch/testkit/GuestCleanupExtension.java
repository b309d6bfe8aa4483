package dev.hvwatch.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Kills the guests a test or test class started and did not close, whether it passed, failed or timed out.
 * Guests started in {@code @BeforeAll} survive the individual tests and are closed after the class.
 *
 * <p>Scopes are told apart by start order, so with parallel test execution a guest started concurrently by
 * another test in the same window would be closed too; the suites that use real guests run sequentially.
 */
public final class GuestCleanupExtension
        implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(GuestCleanupExtension.class);
    private static final String MARK = "mark";

    @Override
    public void beforeAll(ExtensionContext context) {
        remember(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        remember(context);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        closeStartedSinceRemembered(context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        closeStartedSinceRemembered(context);
    }

    private static void remember(ExtensionContext context) {
        context.getStore(NAMESPACE).put(MARK, GuestRegistry.mark());
    }

    private static void closeStartedSinceRemembered(ExtensionContext context) {
        GuestRegistry.closeStartedAfter(context.getStore(NAMESPACE).get(MARK, Long.class));
    }
}
