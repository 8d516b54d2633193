; Highlights for Nurture, in the capture names Neovim, Zed and GitHub share
; (queries/helix/highlights.scm has the same patterns in Helix's names).

(comment) @comment

; Declarations and the names they introduce
[
  "campaign"
  "lead"
  "enum"
  "event"
  "score"
  "list"
  "workflow"
  "decide"
  "policy"
  "test"
] @keyword

(score_declaration name: (identifier) @function)
(list_declaration name: (identifier) @function)
(workflow name: (identifier) @function)
(decide_declaration name: (identifier) @function)
(decide_call name: (identifier) @function)
(start_step workflow: (identifier) @function)
(stop_step workflow: (identifier) @function)
(expect_workflow workflow: (identifier) @function)
(expect_converted workflow: (identifier) @function)
(enter_list list: (identifier) @function)
(exit_list list: (identifier) @function)

(enum_declaration name: (identifier) @type)
(enum_variant) @constant
(type (identifier) @type)
(list_type "list" @type)
(event_name) @type
(quoted_event) @string.special

(attribute_declaration name: (identifier) @property)
(property_declaration name: (identifier) @property)
(field name: (identifier) @property)
(property) @property

(test_lead name: (identifier) @variable)
(test_event lead: (identifier) @variable)
(expect_sent lead: (identifier) @variable)
(expect_workflow lead: (identifier) @variable)
(expect_converted lead: (identifier) @variable)
(of_expression lead: (identifier) @variable)

(send_step channel: (identifier) @constant)
(notify_step team: (identifier) @constant)
(frequency channel: (identifier) @constant)
(expect_sent channel: (identifier) @constant)

; The lead, the event that started a run, the event a wait received
(lead_attribute "lead" @variable.builtin)
(event_property ["event" "received"] @variable.builtin)
(received) @variable.builtin
(now) @constant.builtin
(boolean) @boolean

; Steps, settings and rules
[
  "on"
  "when"
  "if"
  "else"
  "split"
  "wait"
  "until"
  "up"
  "to"
  "for"
  "start"
  "stop"
  "enter"
  "exit"
  "goal"
  "enroll"
  "only"
  "once"
  "every"
  "time"
  "holdout"
  "at"
  "after"
  "expect"
  "weekday"
] @keyword

[
  "send"
  "notify"
  "tag"
  "untag"
  "retarget"
  "webhook"
  "with"
  "set"
  "add"
  "subtract"
  "remove"
  "decay"
  "most"
  "times"
  "per"
  "frequency"
  "quiet"
  "hours"
  "suppress"
  "as"
  "sent"
  "step"
  "converted"
] @keyword

[
  "did"
  "count"
  "last"
  "where"
  "within"
  "since"
  "enrolled"
  "missing"
] @keyword

[
  "and"
  "or"
  "not"
  "in"
  "is"
  "of"
  "matches"
] @keyword.operator

(compare_operator) @operator
[
  "??"
  "+"
  "-"
  "*"
  "/"
  "="
  "->"
  "?"
] @operator

; Literals
(string) @string
(string_content) @string
(escape_sequence) @string.escape
(regex) @string.special
(number) @number
(percent) @number
(duration) @number
(time_of_day) @number
(instant) @number

(interpolation
  "{" @punctuation.special
  "}" @punctuation.special)

["{" "}" "[" "]" "(" ")"] @punctuation.bracket
(list_type ["<" ">"] @punctuation.bracket)
["," ":" "."] @punctuation.delimiter
