"""pic_archive: one static archive of position-independent code for a set of cc_library
targets and everything they depend on, plus the linker flags they need, for linking into
a shared object built outside Bazel (the nginx module). Bazel 4 has no
cc_static_library; the deps are built with --force_pic through a transition so only
this archive pays for PIC, and the rest of the tree keeps its usual objects."""

def _force_pic_impl(settings, attr):
    return {"//command_line_option:force_pic": True}

_force_pic = transition(
    implementation = _force_pic_impl,
    inputs = [],
    outputs = ["//command_line_option:force_pic"],
)

def _pic_archive_impl(ctx):
    archives = []
    flags = []
    for dep in ctx.attr.deps:
        for linker_input in dep[CcInfo].linking_context.linker_inputs.to_list():
            flags.extend(linker_input.user_link_flags)
            for lib in linker_input.libraries:
                archive = lib.pic_static_library or lib.static_library
                if archive and archive not in archives:
                    archives.append(archive)
    out = ctx.actions.declare_file(ctx.attr.name + ".a")
    linkopts = ctx.actions.declare_file(ctx.attr.name + ".linkopts")
    script = ["CREATE " + out.path] + ["ADDLIB " + a.path for a in archives] + ["SAVE", "END"]
    ctx.actions.run_shell(
        inputs = archives,
        outputs = [out],
        command = "printf '%s\\n' \"$@\" | ar -M",
        arguments = script,
        mnemonic = "PicArchive",
        progress_message = "Merging PIC archives into %s" % out.short_path,
    )
    unique_flags = []
    for f in flags:
        if f not in unique_flags:
            unique_flags.append(f)
    ctx.actions.write(linkopts, " ".join(unique_flags) + "\n")
    return [DefaultInfo(files = depset([out, linkopts]))]

pic_archive = rule(
    implementation = _pic_archive_impl,
    attrs = {
        "deps": attr.label_list(providers = [CcInfo], cfg = _force_pic),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
