/* Error types and documents: RIE's normalisation rule, bodies built from a
 * runtime's error report, exit reasons, AWS's error shape. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "emulator/internal.h"

static const char *norm(const char *t)
{
    static char out[EMU_ERROR_TYPE_MAX];
    emu_error_type_normalize(t, out);
    return out;
}

Test(error_type, valid_types_are_kept)
{
    cr_assert_str_eq(norm("Runtime.ExitError"), "Runtime.ExitError");
    cr_assert_str_eq(norm("Function.ResponseSizeTooLarge"), "Function.ResponseSizeTooLarge");
    cr_assert_str_eq(norm("Function.Ab"), "Function.Ab");
}

Test(error_type, invalid_types_become_unknown)
{
    cr_assert_str_eq(norm(NULL), "Runtime.Unknown");
    cr_assert_str_eq(norm(""), "Runtime.Unknown");
    cr_assert_str_eq(norm("unhandled"), "Runtime.Unknown");                 /* Rust runtime */
    cr_assert_str_eq(norm("Runtime.exitError"), "Runtime.Unknown");         /* lower case start */
    cr_assert_str_eq(norm("Runtime.A"), "Runtime.Unknown");                 /* one letter */
    cr_assert_str_eq(norm("Runtime.Exit1"), "Runtime.Unknown");             /* digits */
    cr_assert_str_eq(norm("Runtime.Exit.Error"), "Runtime.Unknown");
    cr_assert_str_eq(norm("xRuntime.ExitError"), "Runtime.Unknown");        /* anchored */
    cr_assert_str_eq(norm("Runtime.ExitError "), "Runtime.Unknown");
    cr_assert_str_eq(norm("Function.bad-type"), "Function.Unknown");
    cr_assert_str_eq(norm("Function."), "Function.Unknown");
    cr_assert_str_eq(norm("Sandbox.Timedout"), "Runtime.Unknown");
}

Test(error_type, very_long_types_are_refused)
{
    char t[300] = "Function.A";
    memset(t + 10, 'b', 250);
    t[260] = 0;
    cr_assert_str_eq(norm(t), "Function.Unknown");
}

Test(error_type, extensions)
{
    char out[EMU_ERROR_TYPE_MAX];
    emu_ext_error_type_normalize("Extension.ConnectFailed", out);
    cr_assert_str_eq(out, "Extension.ConnectFailed");
    emu_ext_error_type_normalize("Fatal.ConnectFailed", out);
    cr_assert_str_eq(out, "Extension.Unknown");
    emu_ext_error_type_normalize(NULL, out);
    cr_assert_str_eq(out, "Extension.Unknown");
}

static char *from_runtime(const char *hdr, const char *body, char type[EMU_ERROR_TYPE_MAX])
{
    fl_buf out = {0};
    emu_error_from_runtime(hdr, body, body ? strlen(body) : 0, &out, type);
    return fl_buf_steal(&out);
}

Test(runtime_error, a_document_with_errorType_passes_unchanged)
{
    char type[EMU_ERROR_TYPE_MAX];
    const char *doc = "{\"errorMessage\":\"boom\",  \"errorType\":\"ZeroDivisionError\",\"stackTrace\":[\"x\"]}";
    char *out = from_runtime("Function.Unhandled", doc, type);
    cr_assert_str_eq(out, doc);
    cr_assert_str_eq(type, "Function.Unhandled");
    free(out);
}

Test(runtime_error, the_xray_cause_is_removed)
{
    char type[EMU_ERROR_TYPE_MAX];
    char *out = from_runtime("Runtime.X", "{\"errorMessage\":\"m\",\"errorType\":\"E\",\"errorCause\":{\"paths\":[]}}", type);
    cr_assert_str_eq(out, "{\"errorMessage\":\"m\",\"errorType\":\"E\"}");
    free(out);
}

Test(runtime_error, built_from_the_header_otherwise)
{
    char type[EMU_ERROR_TYPE_MAX];
    char *out = from_runtime("unhandled", "plain \"text\"\n", type);
    cr_assert_str_eq(out, "{\"errorMessage\":\"plain \\\"text\\\"\\n\",\"errorType\":\"Runtime.Unknown\"}");
    cr_assert_str_eq(type, "Runtime.Unknown");
    free(out);
    out = from_runtime("Function.Oops", NULL, type);
    cr_assert_str_eq(out, "{\"errorMessage\":\"Unknown application error occurred\",\"errorType\":\"Function.Oops\"}");
    free(out);
    /* JSON, but no errorType; and JSON followed by garbage */
    out = from_runtime(NULL, "{\"errorMessage\":\"m\"}", type);
    cr_assert_str_eq(out, "{\"errorMessage\":\"{\\\"errorMessage\\\":\\\"m\\\"}\",\"errorType\":\"Runtime.Unknown\"}");
    free(out);
    out = from_runtime("Runtime.Bad", "{\"errorType\":\"E\"} trailing", type);
    cr_assert_str_eq(out, "{\"errorMessage\":\"{\\\"errorType\\\":\\\"E\\\"} trailing\",\"errorType\":\"Runtime.Bad\"}");
    free(out);
}

static const char *reason(int wstatus)
{
    static char out[160];
    emu_exit_reason(wstatus, out, sizeof out);
    return out;
}

Test(exit_reason, as_lambda_words_it)
{
    cr_assert_str_eq(reason(0), "Runtime exited without providing a reason");
    cr_assert_str_eq(reason(3 << 8), "Runtime exited with error: exit status 3");
    cr_assert_str_eq(reason(255 << 8), "Runtime exited with error: exit status 255");
    cr_assert_str_eq(reason(137 << 8), "Runtime exited with error: signal: killed"); /* bwrap: 128 + 9 */
    cr_assert_str_eq(reason(139 << 8), "Runtime exited with error: signal: segmentation fault");
    cr_assert_str_eq(reason(128 << 8), "Runtime exited with error: exit status 128");
    cr_assert_str_eq(reason(SIGKILL), "Runtime exited with error: signal: killed"); /* bwrap itself */
    cr_assert_str_eq(reason(SIGTERM), "Runtime exited with error: signal: terminated");
}

Test(aws_error, shape)
{
    fl_buf b = {0};
    emu_aws_error_body(&b, false, "Function not found: \"x\"");
    cr_assert_str_eq(fl_buf_cstr(&b), "{\"Type\":\"User\",\"message\":\"Function not found: \\\"x\\\"\"}");
    fl_buf_reset(&b);
    emu_aws_error_body(&b, true, "down");
    cr_assert_str_eq(fl_buf_cstr(&b), "{\"Type\":\"Service\",\"message\":\"down\"}");
    fl_buf_free(&b);
}

Test(json_exact, trailing_bytes)
{
    cJSON *d = emu_json_parse_exact("{\"a\":1} \n", 9);
    cr_assert_not_null(d);
    cJSON_Delete(d);
    cr_assert_null(emu_json_parse_exact("{\"a\":1}x", 8));
    cr_assert_null(emu_json_parse_exact("{\"a\":1}{}", 9));
    cr_assert_null(emu_json_parse_exact("{\"a\":", 5));
    cr_assert_null(emu_json_parse_exact("", 0));
    /* a NUL inside the length is not the end */
    cr_assert_null(emu_json_parse_exact("{}\0{}", 5));
}
