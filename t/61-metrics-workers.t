#!/usr/bin/perl

# azoai_metrics with two workers: a known mix of requests, each on its own
# connection so both workers serve some, gives exact counts of requests
# by decision and reason, masked requests, PII by type, requests and
# tokens by deployment.  The counts survive "nginx -s reload" and go on.
# The metrics location answers GET only, in Prometheus text format.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 2);

my $HTTP = <<'EOF';
    azoai_metrics_zone azoai 1m;
    azoai_catalog %%CATALOG%%;
    azoai_deployment pii-block gpt-4o 2024-11-20;
    azoai_deployment chat-report gpt-4o 2024-11-20;
    log_format pids '$http_x_test_id $pid $azoai_decision';

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        azoai on;
        azoai_pii on;
        access_log %%DIR%%/pids.log pids;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/pii-block/ {
            azoai_pii_action us_ssn block;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/chat-report/ {
            azoai_mode report;
            proxy_pass http://%%UPSTREAM%%;
        }
        location = /metrics {
            access_log off;
            azoai_metrics;
        }
        %%EXTRA%%
    }
EOF

$t->write_catalog;
$t->write_conf($HTTP =~ s/%%EXTRA%%//r);
$t->start_upstream->start;

my $GA = 'api-version=2024-10-21';
my $PREVIEW = 'api-version=2025-04-01-preview';
my ($EMAIL, $IPV4, $SSN) = ('jane.doe@example.com', '203.0.113.42',
                            '536-90-4399');

sub chat {
    my ($dep, $query, $text, @h) = @_;
    return { method => 'POST',
             path => "/openai/deployments/$dep/chat/completions?$query",
             headers => [['Content-Type', 'application/json'], @h],
             body => qq({"messages":[{"role":"user","content":"$text"}]}) };
}

# kind => [count, request]
my %KIND = (
    masked  => [10, chat('chat-prod', $GA, "mail $EMAIL from $IPV4")],
    clean   => [6, chat('chat-mini', $GA, 'hello')],
    preview => [6, chat('chat-prod', $PREVIEW, 'hello')],
    model   => [5, chat('chat-preview', $GA, 'hello')],
    blocked => [4, chat('pii-block', $GA, "ssn $SSN")],
    report  => [5, chat('chat-report', $PREVIEW, 'hello')],
    sse     => [4, { method => 'POST', path => '/openai/v1/chat/completions',
                     headers => [['Content-Type', 'application/json'],
                                 ['X-Test-Response', 'sse']],
                     body => '{"model":"chat-mini","stream":true,'
                             . '"stream_options":{"include_usage":true},'
                             . '"messages":[{"role":"user",'
                             . '"content":"hi"}]}' }],
);

# the counters a batch of m of each kind (scaled by $k->{kind}) must give
sub expected {
    my (%k) = @_;
    my %e;
    my $n = sub { $k{$_[0]} // 0 };

    $e{'azoai_requests_total{decision="allow",reason=""}'}
        = $n->('masked') + $n->('clean') + $n->('sse');
    $e{'azoai_requests_total{decision="deny",'
       . 'reason="PreviewApiVersionBlocked"}'} = $n->('preview');
    $e{'azoai_requests_total{decision="deny",reason="PreviewModelBlocked"}'}
        = $n->('model');
    $e{'azoai_requests_total{decision="deny",reason="PiiBlocked"}'}
        = $n->('blocked');
    $e{'azoai_requests_total{decision="report-deny",'
       . 'reason="PreviewApiVersionBlocked"}'} = $n->('report');
    $e{'azoai_masked_requests_total'} = $n->('masked');
    $e{'azoai_pii_total{type="email"}'} = $n->('masked');
    $e{'azoai_pii_total{type="ipv4"}'} = $n->('masked');
    $e{'azoai_pii_total{type="us_ssn"}'} = $n->('blocked');

    my %dep = ('chat-prod' => $n->('masked') + $n->('preview'),
               'chat-mini' => $n->('clean') + $n->('sse'),
               'chat-preview' => $n->('model'),
               'pii-block' => $n->('blocked'),
               'chat-report' => $n->('report'));
    # answers with usage (11, 7, 18): the requests the upstream served
    my %served = ('chat-prod' => $n->('masked'),
                  'chat-mini' => $n->('clean') + $n->('sse'),
                  'chat-report' => $n->('report'));
    for my $d (keys %dep) {
        $e{qq(azoai_deployment_requests_total{deployment="$d"})} = $dep{$d};
        my $s = $served{$d} // 0;
        $e{qq(azoai_tokens_total{deployment="$d",kind="prompt"})} = 11 * $s;
        $e{qq(azoai_tokens_total{deployment="$d",kind="completion"})}
            = 7 * $s;
        $e{qq(azoai_tokens_total{deployment="$d",kind="total"})} = 18 * $s;
    }
    $e{'azoai_deployments_overflow_total'} = 0;
    return \%e;
}

sub scrape {
    my $r = http_request($t->port, method => 'GET', path => '/metrics');
    my %s;

    for my $line (split /\n/, $r->{body} // '') {
        next if $line =~ /^#/ || $line !~ /\S/;
        my ($key, $value) = $line =~ /^(\S+(?:\{[^}]*\})?)\s+(\S+)$/;
        $s{$key} = $value if defined $key;
    }
    return ($r, \%s);
}

# the sum of the series that match re
sub sum_of {
    my ($s, $re) = @_;
    my $sum = 0;

    $sum += $s->{$_} for grep { /$re/ } keys %$s;
    return $sum;
}

# Counting happens in the log phase, which for a request answered before
# its body was read comes after NGINX's lingering close: the client may see
# the connection end first.  Polls until all requests are counted.
sub scrape_when_counted {
    my ($want) = @_;
    my $n = sum_of($want, qr/^azoai_requests_total/);
    my $deadline = time + 10;
    my ($r, $s);

    do {
        ($r, $s) = scrape();
        return ($r, $s) if sum_of($s, qr/^azoai_requests_total/) >= $n;
        select undef, undef, undef, 0.02;
    } while (time < $deadline);
    diag('not all requests were counted within 10 s');
    return ($r, $s);
}

# every expected series (of those matching re) has its value; any other
# series is zero
sub counts_are {
    my ($got, $want, $re, $name) = @_;
    my @why;

    $got = { map { $_ => $got->{$_} } grep { /$re/ } keys %$got };
    $want = { map { $_ => $want->{$_} } grep { /$re/ } keys %$want };
    for my $k (sort keys %$want) {
        my $g = $got->{$k};
        push @why, "$k: " . ($g // 'absent') . ", want $want->{$k}"
            if ($g // 0) != $want->{$k}
               || (!defined $g && $want->{$k} != 0);
    }
    for my $k (sort keys %$got) {
        next if exists $want->{$k} || $got->{$k} == 0;
        push @why, "$k: $got->{$k}, want none";
    }
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    ok(!@why, $name) or diag(join "\n", @why);
}

# the requests, interleaved (a fixed order), each on a new connection
my $seq = 0;

sub run_batch {
    my (%k) = @_;
    my @order;
    my %left = %k;
    my @bad;

    while (grep { $left{$_} } keys %left) {
        for my $kind (sort keys %left) {
            next unless $left{$kind};
            push @order, $kind;
            $left{$kind}--;
        }
    }
    for my $kind (@order) {
        my %req = %{$KIND{$kind}[1]};
        my $id = 'm' . ++$seq;
        $req{headers} = [@{$req{headers}}, ['X-Test-Id', $id]];
        my $r = $t->request(\%req);
        my $want = $kind =~ /^(?:preview|model|blocked)$/ ? 403 : 200;
        push @bad, "$id $kind: " . ($r->{status} // $r->{error})
            if ($r->{status} // 0) != $want;
    }
    ok(!@bad, 'batch: ' . scalar(@order) . ' requests answered as '
              . 'expected') or diag(join "\n", @bad);
    return scalar @order;
}

# pids of the workers that served the test ids in a range (polls until
# all are logged)
sub served_by {
    my ($from, $to) = @_;
    my $deadline = time + 10;
    my %pids;

    while (1) {
        my $n = 0;
        %pids = ();
        for my $line (split /\n/, $t->read_file('pids.log') // '') {
            my ($id, $pid) = split / /, $line;
            next unless defined $pid && $id =~ /^m(\d+)$/;
            next unless $1 >= $from && $1 <= $to;
            $pids{$pid}++;
            $n++;
        }
        last if $n >= $to - $from + 1 || time > $deadline;
        select undef, undef, undef, 0.02;
    }
    return \%pids;
}

# the counts of a batch: by decision, PII and masking; by deployment
sub all_counts_are {
    my ($got, $want, $name) = @_;

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    counts_are($got, $want, qr/^azoai_(?:requests|masked|pii)_/,
               "$name: requests by decision and reason, masked, PII");
    counts_are($got, $want, qr/^azoai_deployment_requests/,
               "$name: requests by deployment");
    counts_are($got, $want, qr/^azoai_tokens/, "$name: tokens by deployment");
    counts_are($got, $want, qr/^azoai_deployments_overflow/,
               "$name: no overflow");
}

# the metrics location
{
    my ($r, $s) = scrape();
    is($r->{status}, 200, 'metrics: GET 200');
    is($r->{headers}{'content-type'}, 'text/plain; version=0.0.4; '
       . 'charset=utf-8', 'metrics: Prometheus text/plain; version=0.0.4');
    counts_are($s, {}, qr/^/, 'metrics: all zero at start');

    $r = http_request($t->port, method => 'POST', path => '/metrics',
                      headers => [['Content-Type', 'application/json']],
                      body => '{}');
    is($r->{status}, 405, 'metrics: POST 405');
    unlike($r->{body} // '', qr/azoai_requests_total/,
           'metrics: no counters for POST');

    $r = http_request($t->port, method => 'HEAD', path => '/metrics');
    is($r->{status}, 200, 'metrics: HEAD 200');
    is($r->{body}, '', 'metrics: HEAD has no body');
}

my %BATCH = map { $_ => $KIND{$_}[0] } keys %KIND;
my $total = run_batch(%BATCH);
is($total, 40, '40 requests sent');

my $pids = served_by(1, $seq);
is(scalar keys %$pids, 2, 'both workers served requests')
    or diag(join ' ', map { "$_:$pids->{$_}" } keys %$pids);
my $served = 0;
$served += $_ for values %$pids;
is($served, $total, 'every request was logged');

my ($r, $before) = scrape_when_counted(expected(%BATCH));
all_counts_are($before, expected(%BATCH), '40 requests');

# format: each line a comment or a sample
my $label = qr/[a-z_]+="[^"\\]*"/;
my @bad = grep { !/^#/ && !/^azoai_\w+(\{$label(,$label)*\})? \d+$/ }
          split /\n/, $r->{body};
ok(!@bad, 'every line a comment or a sample') or diag(join "\n", @bad);
my %type = $r->{body} =~ /^# TYPE (\S+) (\S+)$/mg;
ok(!(grep { $_ ne 'counter' } values %type) && keys %type >= 5,
   'every metric is a counter with a TYPE line');
for my $name (keys %{{ map { /^(\w+)/ ? ($1 => 1) : () } keys %$before }})
{
    ok(exists $type{$name}, "TYPE line for $name");
}
unlike($r->{body}, qr/jane|example\.com|203\.0\.113|536-90/,
       'no PII value in the metrics');

# reload: a new generation of workers, the same counters
my @old = $t->worker_pids;
ok($t->reload($HTTP =~ s/%%EXTRA%%/location = \/ping { return 204; }/r),
   'reload');
my @new = $t->worker_pids;
my %old = map { $_ => 1 } @old;
ok(@new == 2 && !(grep { $old{$_} } @new), 'reload: new workers');
is(http_request($t->port, method => 'GET', path => '/ping')->{status}, 204,
   'reload: the new configuration is live');

my $after;
($r, $after) = scrape();
all_counts_are($after, expected(%BATCH), 'after the reload');

my %AGAIN = map { $_ => 1 } keys %KIND;
$AGAIN{masked} = 3;
my $first = $seq + 1;
run_batch(%AGAIN);
my %sum = map { $_ => $BATCH{$_} + $AGAIN{$_} } keys %KIND;
($r, $after) = scrape_when_counted(expected(%sum));
all_counts_are($after, expected(%sum), 'more requests after the reload');
$pids = served_by($first, $seq);
ok(!(grep { $old{$_} } keys %$pids), 'after reload: new workers served');

$t->error_log_clean;

done_testing;
