/**
 * Tree-sitter grammar for Nurture (.nurture), the marketing-automation language.
 *
 * It follows grammar/nurture.pest, the language's source of truth, closely enough to give
 * editors a tree for highlighting, folding and text objects. Layout is free: newlines are
 * whitespace, and every rule, step and setting opens with a keyword, so a statement ends
 * where the next keyword begins.
 */

// Reserved words (language.md §9) and the newer ones (`decide`, `with`, `holdout`).
const KEYWORDS = [
  'and', 'or', 'not', 'in', 'is', 'set', 'missing', 'of', 'did', 'count', 'last', 'where',
  'within', 'since', 'enrolled', 'now', 'true', 'false', 'when', 'on', 'add', 'subtract', 'at',
  'most', 'times', 'per', 'every', 'decay', 'if', 'else', 'split', 'wait', 'until', 'up', 'to',
  'for', 'start', 'stop', 'send', 'notify', 'tag', 'untag', 'retarget', 'webhook', 'exit',
  'goal', 'enroll', 'once', 'only', 'policy', 'frequency', 'quiet', 'hours', 'suppress', 'test',
  'expect', 'after', 'lead', 'event', 'enum', 'score', 'list', 'workflow', 'campaign', 'as',
  'received', 'weekday', 'decide', 'with', 'holdout',
];

// Words meaningful in one position only; ordinary names everywhere else.
const CONTEXTUAL = [
  'enter', 'remove', 'time', 'sent', 'step', 'converted', 'matches', 'contains', 'starts_with',
  'ends_with',
];

const PREC = {
  or: 1,
  and: 2,
  not: 3,
  compare: 4,
  coalesce: 5,
  sum: 6,
  product: 7,
  unary: 8,
  of: 9,
};

const historyFilters = ($) => [optional($.where_clause), optional($.within), optional($.since_enrolled)];

const commaSep = (rule) => optional(seq(rule, repeat(seq(',', rule)), optional(',')));

module.exports = grammar({
  name: 'nurture',

  extras: ($) => [/\s|\uFEFF/, $.comment],

  word: ($) => $.identifier,

  conflicts: ($) => [
    // `expect dee not sent …` against `expect dee not in hot`: one token decides.
    [$.expect_workflow, $._name_expr],
    // `… in workflow w at step "…"` against a next statement `at 2026-…`.
    [$.expect_workflow],
    [$.expect_sent, $.expect_workflow, $.expect_converted, $._name_expr],
  ],

  rules: {
    source_file: ($) => repeat($._item),

    _item: ($) =>
      choice(
        $.campaign_declaration,
        $.lead_declaration,
        $.enum_declaration,
        $.event_declaration,
        $.score_declaration,
        $.list_declaration,
        $.decide_declaration,
        $.trigger,
        $.workflow,
        $.policy,
        $.test_declaration,
      ),

    comment: (_) => token(seq('//', /[^\n]*/)),

    // -----------------------------------------------------------------------------------
    // Declarations

    campaign_declaration: ($) => seq('campaign', field('name', $.string)),

    lead_declaration: ($) => seq('lead', '{', repeat(seq($.attribute_declaration, optional(','))), '}'),
    attribute_declaration: ($) =>
      seq(field('name', $._field_name), ':', field('type', $.type), optional(seq('=', field('default', $._expression)))),

    type: ($) => seq(choice($.list_type, $.identifier), optional('?')),
    list_type: ($) => seq('list', '<', $.type, '>'),

    enum_declaration: ($) =>
      seq('enum', field('name', $.identifier), '{', commaSep(alias($.identifier, $.enum_variant)), '}'),

    event_declaration: ($) =>
      seq('event', field('name', $.event_name), optional(seq('as', field('alias', $.string))), optional($.property_block)),
    property_block: ($) => seq('{', commaSep($.property_declaration), '}'),
    property_declaration: ($) => seq(field('name', $._field_name), ':', field('type', $.type)),

    description: ($) => $.string,

    // Scores
    score_declaration: ($) =>
      seq(
        'score',
        field('name', $.identifier),
        optional($.description),
        choice(seq('=', field('value', $._expression)), $.score_block),
      ),
    score_block: ($) => seq('{', repeat(choice($.decay_rule, $.when_rule, $.on_rule)), '}'),
    decay_rule: ($) => seq('decay', $.percent, 'every', $.duration),
    when_rule: ($) => seq('when', field('condition', $._expression), $.effect),
    on_rule: ($) => seq('on', field('event', $._event_ref), optional($.where_clause), $.effect, optional($.cap)),
    effect: ($) => seq(choice('add', 'subtract', 'set'), $.number),
    cap: ($) => seq('at', 'most', $.number, optional('times'), 'per', $.duration),
    where_clause: ($) => prec.right(seq('where', field('condition', $._expression))),

    // Smart lists
    list_declaration: ($) =>
      seq('list', field('name', $.identifier), optional($.description), '=', field('condition', $._expression)),

    // Decisions: rows checked top to bottom, `else` last.
    decide_declaration: ($) =>
      seq('decide', field('name', $.identifier), optional($.description), '{', repeat($.decide_row), optional($.decide_else), '}'),
    decide_row: ($) => seq('when', field('condition', $._expression), '->', field('result', $._decide_result)),
    decide_else: ($) => seq('else', '->', field('result', $._decide_result)),
    _decide_result: ($) => choice($._expression, $.object),

    // Triggers
    trigger: ($) =>
      seq('on', choice($.enter_list, $.exit_list, $.event_source), choice($.start_step, $.stop_step, $._action_step)),
    enter_list: ($) => seq('enter', field('list', $.identifier)),
    exit_list: ($) => seq('exit', field('list', $.identifier)),
    event_source: ($) => seq(field('event', $._event_ref), optional($.where_clause)),

    // Workflows
    workflow: ($) =>
      seq(
        'workflow',
        field('name', $.identifier),
        optional($.description),
        '{',
        repeat(choice($.enroll, $.only_if, $.exit_when, $.goal, $.holdout)),
        repeat($._step),
        '}',
      ),
    enroll: ($) => seq('enroll', choice(seq('every', 'time'), seq('once', optional(seq('per', $.duration))))),
    only_if: ($) => seq('only', 'if', field('condition', $._expression)),
    exit_when: ($) => seq('exit', 'when', field('condition', $._expression)),
    goal: ($) => seq('goal', field('condition', $._expression)),
    holdout: ($) => seq('holdout', $.percent),

    block: ($) => seq('{', repeat($._step), '}'),
    _step: ($) => choice($.wait_step, $.if_step, $.split_step, $.start_step, $.stop_step, $._action_step),
    _action_step: ($) =>
      choice($.send_step, $.notify_step, $.retarget_step, $.webhook_step, $.set_step, $.tag_step, $.untag_step),

    send_step: ($) =>
      seq('send', field('channel', $.identifier), field('template', choice($.string, $.decide_call)), optional($.with_data)),
    notify_step: ($) => seq('notify', field('team', $.identifier), field('message', $.string), optional($.with_data)),
    retarget_step: ($) => seq('retarget', choice('add', 'remove'), field('audience', $.string)),
    webhook_step: ($) => seq('webhook', field('url', $.string), optional($.object), optional($.with_data)),
    with_data: ($) => seq('with', $.object),
    set_step: ($) => seq('set', field('attribute', $.lead_attribute), '=', field('value', $._expression)),
    tag_step: ($) => seq('tag', $.string),
    untag_step: ($) => seq('untag', $.string),
    start_step: ($) => seq('start', field('workflow', $.identifier)),
    stop_step: ($) => seq('stop', field('workflow', $.identifier)),

    wait_step: ($) =>
      seq(
        'wait',
        choice(
          $.duration,
          seq('until', optional('weekday'), $.time_of_day),
          seq('up', 'to', $.duration, 'for', field('event', $._event_ref), optional($.where_clause)),
        ),
      ),

    if_step: ($) =>
      seq('if', field('condition', $._expression), field('then', $.block), optional(seq('else', field('else', choice($.if_step, $.block))))),
    split_step: ($) => seq('split', '{', repeat($.split_arm), '}'),
    split_arm: ($) => seq($.percent, field('label', $.string), ':', choice($.block, $._step)),

    // Guardrails
    policy: ($) => seq('policy', '{', repeat(choice($.frequency, $.quiet_hours, $.suppress)), '}'),
    frequency: ($) => seq('frequency', field('channel', $.identifier), 'at', 'most', $.number, optional('times'), 'per', $.duration),
    quiet_hours: ($) => seq('quiet', 'hours', $.time_of_day, 'to', $.time_of_day),
    suppress: ($) => seq('suppress', 'when', field('condition', $._expression)),

    // Tests
    test_declaration: ($) =>
      seq('test', field('name', $.string), '{', repeat(choice($.test_lead, $.test_at, $.test_after, $.test_expect)), '}'),
    test_lead: ($) => seq('lead', field('name', $.identifier), $.object),
    test_at: ($) => seq('at', $.instant, optional($.test_event)),
    test_after: ($) => seq('after', $.duration, optional($.test_event)),
    test_event: ($) => seq(field('lead', $.identifier), field('event', $._event_ref), optional($.object)),
    test_expect: ($) => seq('expect', choice($.expect_sent, $.expect_workflow, $.expect_converted, $._expression)),
    expect_sent: ($) =>
      seq(field('lead', $.identifier), optional('not'), 'sent', field('channel', $.identifier), optional(field('template', $.string))),
    expect_workflow: ($) =>
      seq(field('lead', $.identifier), optional('not'), 'in', 'workflow', field('workflow', $.identifier), optional(seq('at', 'step', field('step', $.string)))),
    expect_converted: ($) =>
      seq(field('lead', $.identifier), optional('not'), 'converted', 'in', field('workflow', $.identifier)),

    object: ($) => seq('{', commaSep($.field), '}'),
    field: ($) => seq(field('name', $._field_name), ':', field('value', $._expression)),

    // -----------------------------------------------------------------------------------
    // Expressions, loosest first.

    _expression: ($) =>
      choice(
        $.binary_expression,
        $.not_expression,
        $.comparison,
        $.is_expression,
        $.matches_expression,
        $.in_expression,
        $.coalesce_expression,
        $.arithmetic_expression,
        $.negation_expression,
        $.of_expression,
        $._primary,
      ),

    binary_expression: ($) =>
      choice(
        prec.left(PREC.or, seq(field('left', $._expression), field('operator', 'or'), field('right', $._expression))),
        prec.left(PREC.and, seq(field('left', $._expression), field('operator', 'and'), field('right', $._expression))),
      ),
    not_expression: ($) => prec(PREC.not, seq('not', $._expression)),

    comparison: ($) =>
      prec.left(PREC.compare, seq(field('left', $._expression), field('operator', $.compare_operator), field('right', $._expression))),
    compare_operator: (_) => choice('==', '!=', '>=', '<=', '>', '<', 'contains', 'starts_with', 'ends_with'),
    is_expression: ($) => prec.left(PREC.compare, seq($._expression, 'is', choice('set', 'missing'))),
    matches_expression: ($) => prec.left(PREC.compare, seq($._expression, 'matches', $.regex)),
    in_expression: ($) => prec.left(PREC.compare, seq(field('left', $._expression), optional('not'), 'in', field('right', $._expression))),

    coalesce_expression: ($) => prec.left(PREC.coalesce, seq($._expression, '??', $._expression)),
    arithmetic_expression: ($) =>
      choice(
        prec.left(PREC.sum, seq(field('left', $._expression), field('operator', choice('+', '-')), field('right', $._expression))),
        prec.left(PREC.product, seq(field('left', $._expression), field('operator', choice('*', '/')), field('right', $._expression))),
      ),
    negation_expression: ($) => prec(PREC.unary, seq('-', $._expression)),
    of_expression: ($) => prec.left(PREC.of, seq(field('value', $._expression), 'of', field('lead', $.identifier))),

    _primary: ($) =>
      choice(
        $.did_expression,
        $.count_expression,
        $.last_expression,
        $.decide_call,
        $.boolean,
        $.instant,
        $.time_of_day,
        $.duration,
        $.percent,
        $.number,
        $.string,
        $.list_literal,
        $.parenthesized_expression,
        $.lead_attribute,
        $.event_property,
        $.now,
        $.received,
        $._name_expr,
      ),

    _name_expr: ($) => choice($.identifier, $.path),
    path: ($) => seq($.identifier, repeat1(seq(token.immediate('.'), $.property))),
    lead_attribute: ($) => seq('lead', token.immediate('.'), $.property),
    // `event.total` reads the event that started the run; `received.rep` the one a wait got.
    event_property: ($) => seq(choice('event', 'received'), repeat1(seq(token.immediate('.'), $.property))),
    property: (_) => token.immediate(/[A-Za-z_][A-Za-z0-9_]*/),

    parenthesized_expression: ($) => seq('(', $._expression, ')'),
    did_expression: ($) => prec.right(seq('did', field('event', $._event_ref), ...historyFilters($))),
    count_expression: ($) => prec.right(seq('count', field('event', $._event_ref), ...historyFilters($))),
    last_expression: ($) => prec.right(seq('last', field('event', $._event_ref), ...historyFilters($))),
    within: ($) => seq('within', $.duration),
    since_enrolled: (_) => seq('since', 'enrolled'),
    decide_call: ($) => seq('decide', '(', field('name', $.identifier), ')'),

    list_literal: ($) => seq('[', commaSep($._expression), ']'),
    boolean: (_) => choice('true', 'false'),
    now: (_) => 'now',
    received: (_) => 'received',

    // -----------------------------------------------------------------------------------
    // Names and tokens

    identifier: (_) => /[A-Za-z_][A-Za-z0-9_]*/,
    _field_name: ($) => choice($.identifier, alias(choice(...KEYWORDS, ...CONTEXTUAL), $.identifier)),

    // An event's dotted name (`email.opened`); its first word may be a reserved one
    // (`lead.identified`).
    event_name: ($) =>
      choice($.identifier, seq(choice($.identifier, alias(choice(...KEYWORDS), $.identifier)), repeat1(seq(token.immediate('.'), $.property)))),
    // By mistake, the name Segment sends in quotes (`on "Webinar Attended"`): the checker
    // says which name to write.
    quoted_event: (_) => token(seq('"', /[^"\n]*/, '"')),
    _event_ref: ($) => choice($.event_name, $.quoted_event),

    instant: (_) => token(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})/),
    time_of_day: (_) => token(/\d{1,2}:\d{2}/),
    duration: (_) => token(/(\d+[smhdw])+/),
    percent: (_) => token(/\d+(\.\d+)?%/),
    number: (_) => token(/-?\d+(\.\d+)?/),

    // An interpolating string: `{expr}` interpolates, `{{` and `}}` escape braces.
    string: ($) =>
      seq('"', repeat(choice($.escape_sequence, $.interpolation, $.string_content)), token.immediate('"')),
    string_content: (_) => token.immediate(prec(1, /[^"\\{}\n]+/)),
    escape_sequence: (_) => token.immediate(choice(/\\["\\nt]/, '{{', '}}')),
    interpolation: ($) => seq(token.immediate('{'), $._expression, '}'),

    // A regex literal never interpolates and keeps its backslashes.
    regex: (_) => token(seq('"', /([^"\\\n]|\\[^\n])*/, '"')),
  },
});
