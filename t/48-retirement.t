#!/usr/bin/perl

# Retirement dates in the catalog ({"status": "ga", "retires": DATE}),
# set relative to today (UTC): a date in the past or today is
# RetiredModelBlocked with the date in the message; a date inside
# azoai_retirement_notice (30d by default) passes with X-AzOAI-Retires and
# $azoai_model_retires; one outside passes without them.  NGINX warns at
# start, at reload and in nginx -t, once per deployment, naming the
# deployment and the date.  A bad date fails nginx -t with the file.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(strftime);
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

sub day { strftime('%Y-%m-%d', gmtime(time + $_[0] * 86400)) }

my %D = (past => day(-3), today => day(0), soon => day(10),
         later => day(60), far => day(400));

sub catalog {
    my (%d) = @_;
    return <<"EOF";
{
  "models": {
    "gpt-4o": {
      "2024-05-13": {"status": "ga", "retires": "$d{past}"},
      "2024-08-06": {"status": "ga", "retires": "$d{today}"},
      "2024-11-20": {"status": "ga", "retires": "$d{soon}",
                     "_comment": "source: Azure model retirements page"},
      "2025-01-01": {"status": "ga", "retires": "$d{later}"},
      "2025-02-02": "ga"
    },
    "gpt-4o-mini": { "2024-07-18": {"status": "ga", "retires": "$d{far}"} }
  },
  "deployments": {
    "chat-past": { "model": "gpt-4o", "version": "2024-05-13" },
    "chat-today": { "model": "gpt-4o", "version": "2024-08-06" },
    "chat-soon": { "model": "gpt-4o", "version": "2024-11-20" },
    "chat-later": { "model": "gpt-4o", "version": "2025-01-01" },
    "chat-plain": { "model": "gpt-4o", "version": "2025-02-02" },
    "mini-far": { "model": "gpt-4o-mini", "version": "2024-07-18" }
  }
}
EOF
}

$t->write_catalog(catalog(%D));

my $CONF = <<'EOF';
    log_format retires '$http_x_test_id decision=$azoai_decision '
                       'reason=$azoai_reason retires=$azoai_model_retires';

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        azoai on;
        azoai_catalog %%CATALOG%%;
        access_log %%DIR%%/retires.log retires;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/chat-later/ {
            azoai_retirement_notice 90d;
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_REPORT%%;
        azoai on;
        azoai_mode report;
        azoai_catalog %%CATALOG%%;
        azoai_retirement_notice 0;
        access_log %%DIR%%/retires.log retires;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->write_conf($CONF);
$t->start_upstream->start;

my $V = '?api-version=2024-10-21';
my $CHAT = '{"messages":[{"role":"user","content":"hi"}]}';
my $id = 0;

sub chat {
    my ($dep, %o) = @_;
    return { method => 'POST',
             path => "/openai/deployments/$dep/chat/completions$V",
             headers => [['Content-Type', 'application/json'],
                         ['X-Test-Id', 'r' . ++$id]],
             body => $CHAT,
             ($o{port} ? (port => $t->port($o{port})) : ()),
             ($o{via} ? (via => $o{via}, port => $t->port('h2')) : ()) };
}

sub v1 {
    my ($dep) = @_;
    return { method => 'POST', path => '/openai/v1/chat/completions',
             headers => [['Content-Type', 'application/json'],
                         ['X-Test-Id', 'r' . ++$id]],
             body => qq({"model":"$dep","messages":[]}) };
}

# one pattern of two, for lines that do not fit
sub both { my $re = join '', @_; return qr/$re/ }

sub message {
    my ($r) = @_;
    my $j = json_decode($r->{body} // '') // {};
    return ref $j eq 'HASH' && ref $j->{error} eq 'HASH'
        ? $j->{error}{message} // '' : '';
}

sub logged {
    my ($req) = @_;
    my $tid = $req->{headers}[1][1];
    return $t->access_log_wait(qr/^$tid /, 'retires.log');
}

# --- warnings at start: once per deployment, with the date ---------------

my $log = $t->error_log;

for my $dep (qw(chat-past chat-today)) {
    my $n = () = $log =~ /deployment "$dep" \(gpt-4o \S+\) retired on/g;
    is($n, 1, "start: one warning that $dep has retired");
}
like($log, both(qr/\[warn\] .*azoai: deployment "chat-past" /,
                qr/\(gpt-4o 2024-05-13\) retired on $D{past}: /,
                qr/requests to it are denied/),
     'start: the warning names the deployment, model and date');
my $soon = both(qr/deployment "chat-soon" \(gpt-4o 2024-11-20\) /,
                qr/retires on $D{soon}, in 10 day\(s\)/);
my $n = () = $log =~ /$soon/g;
is($n, 1, 'start: one warning for chat-soon, inside 30 days');
# 90d at one location: that level warns about chat-later too
$n = () = $log =~ /deployment "chat-later" .* retires on $D{later}/g;
is($n, 1, 'start: chat-later is inside the 90d notice of its location');
unlike($log, qr/"(?:chat-plain|mini-far)"/,
       'start: no warning for a deployment without a date or far off');

# --- past and today: retired ------------------------------------------------

for my $dep (qw(chat-past chat-today)) {
    my $req = chat($dep);
    $t->expect_denied($req, 403, 'RetiredModelBlocked', "$dep: retired");
    my $date = $dep eq 'chat-past' ? $D{past} : $D{today};
    my $r = $t->request(chat($dep));
    like(message($r),
         both(qr/deployment '$dep' \(gpt-4o \S+\) is a retired model: /,
              qr/it retired on $date/),
         "$dep: the message has the date");
    ok(!exists $r->{headers}{'x-azoai-retires'},
       "$dep: no X-AzOAI-Retires on a denial");
}
$t->expect_denied(v1('chat-past'), 403, 'RetiredModelBlocked',
                  'body model: retired');

# --- inside the notice window ------------------------------------------------

my $req = chat('chat-soon');
my (undef, $r) = $t->expect_allowed($req, 'chat-soon: allowed');
is($r->{headers}{'x-azoai-retires'}, $D{soon},
   'chat-soon: X-AzOAI-Retires is the date');
like(logged($req), qr/decision=allow reason= retires=\Q$D{soon}\E$/,
     'chat-soon: $azoai_model_retires is the date');

$req = v1('chat-soon');
(undef, $r) = $t->expect_allowed($req, 'chat-soon from the body: allowed');
is($r->{headers}{'x-azoai-retires'}, $D{soon},
   'chat-soon from the body: X-AzOAI-Retires');

# --- outside the window, no date --------------------------------------------

for my $dep (qw(mini-far chat-plain)) {
    $req = chat($dep);
    (undef, $r) = $t->expect_allowed($req, "$dep: allowed");
    ok(!exists $r->{headers}{'x-azoai-retires'},
       "$dep: no X-AzOAI-Retires");
    like(logged($req), qr/decision=allow reason= retires=$/,
         "$dep: \$azoai_model_retires is empty");
}

# a location's azoai_retirement_notice 90d: 60 days ahead is inside
$req = chat('chat-later');
(undef, $r) = $t->expect_allowed($req, 'chat-later: allowed');
is($r->{headers}{'x-azoai-retires'}, $D{later},
   'chat-later: X-AzOAI-Retires inside a 90d notice');

# --- report mode, notice 0 ----------------------------------------------------

$req = chat('chat-past', port => 'report');
$t->expect_allowed($req, 'report: a retired deployment is forwarded',
                   decision => 'report-deny');
like(logged($req), qr/decision=report-deny reason=RetiredModelBlocked/,
     'report: logged as RetiredModelBlocked');
$req = chat('chat-soon', port => 'report');
(undef, $r) = $t->expect_allowed($req, 'report: chat-soon allowed');
ok(!exists $r->{headers}{'x-azoai-retires'},
   'notice 0: no X-AzOAI-Retires');

# --- HTTP/2 -------------------------------------------------------------------

SKIP: {
    skip 'curl without HTTP/2', 3 unless curl_h2_available();
    $t->expect_denied(chat('chat-past', via => 'h2'), 403,
                      'RetiredModelBlocked', 'HTTP/2: retired');
    (undef, $r) = $t->expect_allowed(chat('chat-soon', via => 'h2'),
                                     'HTTP/2: chat-soon');
    is($r->{headers}{'x-azoai-retires'}, $D{soon},
       'HTTP/2: X-AzOAI-Retires');
}

# --- reload with new dates: warned again, judged by the new catalog ----------

my $before = length $t->error_log;
$t->write_catalog(catalog(%D, past => day(5), soon => day(-1)));
ok($t->reload, 'reload with new dates');
$log = substr($t->error_log, $before);
like($log, both(qr/deployment "chat-past" \(gpt-4o 2024-05-13\) retires on /,
              qr/\Q@{[day(5)]}\E, in 5 day\(s\)/),
     'reload: warns about the new date');
like($log, qr/deployment "chat-soon" \S+ \S+ retired on \Q@{[day(-1)]}\E/,
     'reload: and about the one now past');
$t->expect_allowed(chat('chat-past'), 'reload: chat-past is allowed again');
$t->expect_denied(chat('chat-soon'), 403, 'RetiredModelBlocked',
                  'reload: chat-soon is retired');

$t->error_log_clean;

# --- nginx -t: the same warnings; bad dates are errors with the file ---------

my ($rc, $out) = $t->nginx_test;
is($rc, 0, 'nginx -t passes');
$n = () = $out =~ /\[warn\] .*deployment "chat-soon" .* retired on/g;
is($n, 1, 'nginx -t shows the warning once');

for my $bad ('2026-02-30', '2026-3-31', '31/03/2026', '') {
    $t->write_catalog(<<"EOF", 'bad.json');
{"models": {"gpt-4o": {"1": {"status": "ga", "retires": "$bad"}}}}
EOF
    $t->write_conf(<<'EOF', file => 'bad.conf');
    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_catalog %%DIR%%/bad.json;
        location / { proxy_pass http://%%UPSTREAM%%; }
    }
EOF
    ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
    isnt($rc, 0, "nginx -t rejects retires \"$bad\"");
    like($out, both(qr/\[emerg\] azoai_catalog "\S*bad\.json": /,
                    qr/models\.gpt-4o\.1\.retires: must be a date, /,
                    qr/"YYYY-MM-DD" .* in \S*bad\.conf:\d+/),
         "nginx -t names the catalog, the JSON path and the conf line");
}

for my $bad ('azoai_retirement_notice 3x;', 'azoai_retirement_notice;') {
    $t->write_conf(<<"EOF", file => 'bad.conf');
    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        $bad
        location / { proxy_pass http://%%UPSTREAM%%; }
    }
EOF
    ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
    isnt($rc, 0, "nginx -t rejects $bad");
}

done_testing;
