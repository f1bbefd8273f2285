package dev.deployclaw.gates.core.ddl;

import java.util.List;

/**
 * What a rule may know about the script around a statement.
 *
 * @param index                 1-based position of the statement
 * @param all                   every statement of the script, analysed, in order
 * @param inExplicitTransaction the statement follows a {@code BEGIN} / {@code START TRANSACTION} not yet ended
 * @param lockTimeoutSet        an earlier statement set {@code lock_timeout} / {@code lock_wait_timeout}
 * @param statementTimeoutSet   an earlier statement set {@code statement_timeout} / {@code max_statement_time}
 */
public record ScriptContext(int index, List<StatementAnalysis> all, boolean inExplicitTransaction, boolean lockTimeoutSet,
                            boolean statementTimeoutSet) {
    public ScriptContext {
        all = List.copyOf(all);
    }

    /** Statements of the script other than this one that do real work (not SET, transaction control or SELECT). */
    public long otherWorkingStatements() {
        int self = index - 1;
        long n = 0;
        for (int i = 0; i < all.size(); i++) {
            StatementKind k = all.get(i).kind();
            if (i != self && k != StatementKind.SET_LOCK_TIMEOUT && k != StatementKind.SET_STATEMENT_TIMEOUT
                    && k != StatementKind.SET_OTHER && k != StatementKind.TRANSACTION_BEGIN
                    && k != StatementKind.TRANSACTION_END && k != StatementKind.SELECT) {
                n++;
            }
        }
        return n;
    }
}
