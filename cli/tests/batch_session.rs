//! The shell driven through `-c` and standard input, as scripts use it.

mod common;

use common::{Lab, T0, err, out, repo};

#[test]
fn a_scripted_session_configures_commits_compares_and_rolls_back() {
    let lab = Lab::new("scripted");
    let o = lab.run(
        "configure; set system host-name r1; \
         set interfaces ge-0/0/0.0 family inet address 192.0.2.1/24; \
         set forwarding-options sampling input rate 100; \
         show | compare; commit comment \"first commit\"; \
         set forwarding-options sampling input rate 10 run-length 2; \
         show | compare; commit; \
         rollback 1; show | compare; commit comment \"back to 100\"; exit; \
         show configuration forwarding-options; show system commit",
    );
    assert!(o.status.success(), "{}", out(&o));
    insta::assert_snapshot!(out(&o));
}

#[test]
fn show_configuration_starts_with_the_last_commit() {
    let lab = Lab::new("header");
    lab.run("configure; set system host-name r1; commit");
    let o = lab.run("show configuration");
    assert_eq!(
        out(&o),
        "## Last commit: 2026-01-01 12:00:00 UTC by lab\nsystem {\n    host-name r1;\n}\n"
    );
}

#[test]
fn commit_confirmed_rolls_back_when_its_time_runs_out() {
    let lab = Lab::new("confirmed");
    lab.run("configure; set system host-name good; commit");
    lab.set_time(T0 + 60);
    let o = lab
        .run("configure; set system host-name risky; commit confirmed 5; exit; show system commit");
    assert_eq!(
        out(&o),
        "Entering configuration mode\n\
         commit confirmed will be automatically rolled back in 5 minutes unless confirmed\n\
         commit complete\n\
         Exiting configuration mode\n\
         0   2026-01-01 12:01:00 UTC by lab via cli commit confirmed, rollback in 5mins\n\
         1   2026-01-01 12:00:00 UTC by lab via cli\n"
    );
    lab.set_time(T0 + 60 + 299);
    assert_eq!(
        out(&lab.run("show configuration system")),
        "host-name risky;\n"
    );
    lab.set_time(T0 + 60 + 300);
    let o = lab.run("show configuration system; show system commit");
    assert_eq!(
        out(&o),
        "Commit was not confirmed; automatic rollback complete.\n\
         host-name good;\n\
         0   2026-01-01 12:06:00 UTC by root via confirmed-rollback\n    \
         commit confirmed was not confirmed: rolled back\n\
         1   2026-01-01 12:01:00 UTC by lab via cli\n\
         2   2026-01-01 12:00:00 UTC by lab via cli\n"
    );
}

#[test]
fn a_second_commit_confirms_a_commit_confirmed() {
    let lab = Lab::new("confirm");
    lab.run("configure; set system host-name good; commit");
    lab.run("configure; set system host-name risky; commit confirmed 1");
    lab.set_time(T0 + 30);
    lab.run("configure; commit");
    lab.set_time(T0 + 3600);
    assert_eq!(
        out(&lab.run("show configuration system")),
        "host-name risky;\n"
    );
}

#[test]
fn every_golden_configuration_loads_with_config_and_shows_back() {
    let mut n = 0;
    for entry in std::fs::read_dir(repo("tests/golden/good")).unwrap() {
        let path = entry.unwrap().path();
        let lab = Lab::new("golden");
        let o = lab
            .command()
            .arg("--config")
            .arg(&path)
            .arg("-c")
            .arg("show configuration | display set")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}: {}", path.display(), out(&o));
        let text = std::fs::read_to_string(&path).unwrap();
        let expected =
            flowsh_grammar::render::set_lines(&flowsh_grammar::load_text(&text).unwrap().tree);
        assert_eq!(out(&o), expected, "{}", path.display());
        n += 1;
    }
    assert!(n >= 20);
}

#[test]
fn a_failing_config_file_stops_start_up_with_its_errors() {
    let lab = Lab::new("badconfig");
    let o = lab
        .command()
        .arg("--config")
        .arg(repo("tests/golden/bad/24-missing-flow-server-port.conf"))
        .arg("-c")
        .arg("show configuration")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("Missing mandatory statement: 'port'"),
        "{}",
        out(&o)
    );
    assert!(out(&o).ends_with("error: configuration check-out failed\n"));
    assert_eq!(out(&lab.run("show configuration")), "");
}

#[test]
fn load_merge_override_set_and_save() {
    let lab = Lab::new("load");
    std::fs::write(lab.path("merge.conf"), "system { host-name merged; }\n").unwrap();
    std::fs::write(
        lab.path("cmds.set"),
        "set system domain-name example.net\ndelete system host-name\n",
    )
    .unwrap();
    let o = lab.run(&format!(
        "configure; set system host-name a; set system location lab; load merge {m}; show; \
         load set {s}; show; load override {m}; show; save {saved}; commit",
        m = lab.path("merge.conf").display(),
        s = lab.path("cmds.set").display(),
        saved = lab.path("saved.conf").display(),
    ));
    assert!(o.status.success(), "{}", out(&o));
    insta::assert_snapshot!(out(&o).replace(&lab.dir.display().to_string(), "LAB"));
    assert_eq!(
        std::fs::read_to_string(lab.path("saved.conf")).unwrap(),
        "system {\n    host-name merged;\n}\n"
    );
}

#[test]
fn a_load_with_errors_changes_nothing() {
    let lab = Lab::new("loaderr");
    std::fs::write(
        lab.path("bad.conf"),
        "system {\n    host-name ok;\n    bogus 1;\n",
    )
    .unwrap();
    let o = lab.run(&format!(
        "configure; set system host-name keep; load override {}; show",
        lab.path("bad.conf").display()
    ));
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o).replace(&lab.dir.display().to_string(), "LAB");
    insta::assert_snapshot!(text);
    let o = lab.run("configure; load merge /nonexistent/r1.conf");
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).ends_with("error: could not open configuration file '/nonexistent/r1.conf': No such file or directory (os error 2)\n"), "{}", out(&o));
}

#[test]
fn load_terminal_reads_the_rest_of_standard_input() {
    let lab = Lab::new("terminal");
    let o =
        lab.stdin("configure\nload merge terminal\nsystem {\n    host-name from-terminal;\n}\n");
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(
        out(&o),
        "Entering configuration mode\n[Type ^D at a new line to end input]\nload complete\n"
    );
}

#[test]
fn standard_input_is_a_script_with_an_exit_status() {
    let lab = Lab::new("stdin");
    let o = lab
        .stdin("configure\nset system host-name r9\ncommit and-quit\nshow configuration system\n");
    assert!(o.status.success());
    assert_eq!(
        out(&o),
        "Entering configuration mode\ncommit complete\nExiting configuration mode\nhost-name r9;\n"
    );
    let o = lab.stdin("show version\nbogus command\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).ends_with("bogus command\n^\nunknown command.\n"),
        "{}",
        out(&o)
    );
}

#[test]
fn pipes_filter_count_and_save_output() {
    let lab = Lab::new("pipes");
    let cfg = repo("examples/edge-router.conf");
    let save = lab.path("out.txt");
    let o = lab
        .command()
        .arg("--config")
        .arg(&cfg)
        .arg("-c")
        .arg(format!(
            "show configuration | match flow-server; show configuration | display set | count; \
             show configuration system | display set; show configuration system | except domain | last 2; \
             show configuration routing-options | display json; show configuration | no-more | match host-name; \
             show configuration system | save {}",
            save.display()
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    insta::assert_snapshot!(out(&o).replace(&lab.dir.display().to_string(), "LAB"));
    assert!(
        std::fs::read_to_string(save)
            .unwrap()
            .contains("host-name edge1-lhr;")
    );
}

#[test]
fn compare_against_a_rollback() {
    let lab = Lab::new("compare");
    lab.run("configure; set system host-name a; commit; set system host-name b; set system location x; commit");
    let o = lab.run("show configuration | compare rollback 1; configure; set system host-name c; show | compare rollback 1");
    insta::assert_snapshot!(out(&o));
}

#[test]
fn abbreviations_work_and_ambiguity_lists_the_choices() {
    let lab = Lab::new("abbrev");
    let o = lab.run("conf; set sys host-name r1; set forw samp inp rat 5; com; ex; sh conf sys");
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).ends_with("host-name r1;\n"), "{}", out(&o));
    let o = lab.run("configure; set f x");
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(out(&o));
}

#[test]
fn question_mark_lists_possible_completions() {
    let lab = Lab::new("help");
    lab.run("configure; set firewall family inet filter web term ssh then accept; commit");
    let o = lab.stdin(
        "?\nshow ?\nshow configuration | ?\nconfigure\n?\nset ?\nset forw?\nset forwarding-options sampling input ?\n\
         set forwarding-options sampling input rate ?\nset firewall family inet filter ?\ncommit ?\nload ?\n",
    );
    insta::assert_snapshot!(out(&o));
}

#[test]
fn edit_levels_change_the_banner_and_make_commands_relative() {
    let lab = Lab::new("edit");
    let o = lab.run(
        "configure; edit firewall family inet filter f; set term t from protocol tcp; set term t then accept; \
         show; up; show; top; edit interfaces; set ge-0/0/1 unit 0 family inet address 10.0.0.1/24; exit; \
         show | display set; exit configuration-mode",
    );
    insta::assert_snapshot!(out(&o));
}

#[test]
fn unknown_commands_and_bad_values_fail_with_a_caret() {
    let lab = Lab::new("bad");
    let o = lab.run("frobnicate; configure; set forwarding-options sampling input rate 0; set bogus; delete system host-name");
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(out(&o));
}

#[test]
fn commit_with_errors_reports_them_all_and_commits_nothing() {
    let lab = Lab::new("commiterr");
    let o = lab.run(
        "configure; set interfaces ge-0/0/0 unit 0 family inet filter input nope; \
         set forwarding-options sampling family inet output flow-server 10.0.0.1 version 5; commit",
    );
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(out(&o));
    assert_eq!(out(&lab.run("show system commit")), "");
}

#[test]
fn an_unwritable_state_directory_is_a_clear_error() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_flowsh"))
        .args(["--state-dir", "/proc/flowsh", "-c", "show version"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).starts_with("error: cannot use state directory '/proc/flowsh': "),
        "{}",
        err(&o)
    );
}

#[test]
fn a_process_killed_in_the_middle_of_a_commit_leaves_the_committed_configuration_intact() {
    let lab = Lab::new("kill");
    lab.run("configure; set system host-name before; commit");
    let o = lab
        .command()
        .env("FLOWSH_FAULT", "commit-after-config-write")
        .arg("-c")
        .arg("configure; set system host-name after; commit")
        .output()
        .unwrap();
    assert!(!o.status.success(), "the fault point aborts the process");
    assert_eq!(
        out(&lab.run("show configuration system")),
        "host-name before;\n"
    );
    let o = lab.run("configure; set system host-name next; commit; exit; show system commit");
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(out(&o).matches(" via cli").count(), 2, "{}", out(&o));
}

#[test]
fn two_shells_committing_at_once_never_corrupt_the_database() {
    let lab = Lab::new("concurrent");
    let script = |name: &str| -> String {
        (0..15)
            .map(|i| format!("configure; set system host-name {name}{i}; commit; exit; "))
            .collect()
    };
    let a = lab.command().arg("-c").arg(script("a")).spawn().unwrap();
    let b = lab.command().arg("-c").arg(script("b")).spawn().unwrap();
    assert!(a.wait_with_output().unwrap().status.success());
    assert!(b.wait_with_output().unwrap().status.success());
    let log = out(&lab.run("show system commit"));
    assert_eq!(log.lines().count(), 30, "{log}");
    for n in 0..30 {
        let o = lab.run(&format!("configure; rollback {n}; show system host-name"));
        assert!(o.status.success(), "rollback {n}: {}", out(&o));
    }
}

#[test]
fn rename_copy_insert_annotate_and_deactivate_through_the_shell() {
    let lab = Lab::new("edits");
    let o = lab.run(
        "configure; edit firewall family inet filter f; \
         set term a then accept; set term b then discard; \
         copy term a to term c; rename term b to term bb; insert term c before term a; \
         annotate term a \"allow the rest\"; deactivate term bb; show; \
         activate term bb; show | display set; top; commit check",
    );
    assert!(o.status.success(), "{}", out(&o));
    insta::assert_snapshot!(out(&o));
}
