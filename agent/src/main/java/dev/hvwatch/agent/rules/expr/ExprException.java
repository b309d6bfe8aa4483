package dev.hvwatch.agent.rules.expr;

/** An expression that does not parse or does not type-check; {@link #column} is 1-based within the expression. */
public final class ExprException extends Exception {
    private final int column;

    public ExprException(int column, String message) {
        super(message);
        this.column = column;
    }

    public int column() {
        return column;
    }
}
