#!/usr/bin/perl

# The catalog tool (build/azoai-catalog, AZOAI_CATALOG_TOOL) against the
# packaged NGINX with the module: "check" prints for each bad catalog the
# message nginx -t prints for azoai_catalog FILE, and the retirement
# warnings NGINX logs; "explain" gives the decision NGINX gives to a
# request to the deployment (status, code and message); "from-azure" turns
# the recorded Azure lists of tests/data/ into a catalog that check and
# nginx -t accept and that judges their deployments as expected.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(strftime);
use AzoaiTest;

AzoaiTest::require_module();

my $TOOL = $ENV{AZOAI_CATALOG_TOOL} || "$FindBin::Bin/../build/azoai-catalog";
my $DATA = "$FindBin::Bin/../tests/data";

ok(-x $TOOL, "the tool is built: $TOOL") or BAIL_OUT("no $TOOL (make)");

my $t = AzoaiTest->new;

sub tool { AzoaiTest::_run($TOOL, @_) }

sub day { strftime('%Y-%m-%d', gmtime(time + $_[0] * 86400)) }

sub conf_for {
    my ($catalog) = @_;
    $t->write_conf(<<"EOF", file => 'check.conf');
    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_catalog $catalog;
        location / { proxy_pass http://%%UPSTREAM%%; }
    }
EOF
    return $t->nginx_test("$t->{dir}/check.conf");
}

# --- check: nginx -t's message, for each bad catalog ----------------------

$t->write_file('bad-date.json', <<'EOF');
{"models": {"gpt-4o": {"1": {"status": "ga", "retires": "2026-02-30"}}}}
EOF
$t->write_file('bad-name.json', <<'EOF');
{"models": {"gpt-4o": {"1": "ga"}},
 "deployments": {"chat prod": {"model": "gpt-4o", "version": "1"}}}
EOF
$t->write_file('bad-top.json', '["models"]');
$t->write_file('empty.json', '');

my @bad = ((map { "$DATA/catalog-$_.json" }
            qw(bad-json bad-status duplicate-model missing-model)),
           map { "$t->{dir}/$_" }
           qw(bad-date.json bad-name.json bad-top.json empty.json
              missing.json));

for my $file (@bad) {
    (my $name = $file) =~ s{.*/}{};
    my ($rc, $out) = conf_for($file);
    isnt($rc, 0, "$name: nginx -t fails");
    my ($want) = $out =~ /\[emerg\] (azoai_catalog ".*?": .*) in \S+:\d+$/m;
    ok(defined $want, "$name: nginx -t names the catalog") or diag($out);

    my ($trc, $tout) = tool('check', $file);
    is($trc, 1, "$name: check exits 1");
    chomp $tout;
    is($tout, $want, "$name: check prints nginx -t's message");
}

# --- check: the retirement warnings of nginx -t ----------------------------

my $past = day(-3);
my $soon = day(10);
my $later = day(60);

$t->write_catalog(<<"EOF");
{
  "models": {
    "gpt-4o": {
      "2024-05-13": {"status": "ga", "retires": "$past"},
      "2024-11-20": {"status": "ga", "retires": "$soon"},
      "2025-01-01": {"status": "ga", "retires": "$later"}
    },
    "gpt-4o-realtime-preview": {"2024-12-17": "preview"}
  },
  "deployments": {
    "chat-past": {"model": "gpt-4o", "version": "2024-05-13"},
    "chat-soon": {"model": "gpt-4o", "version": "2024-11-20"},
    "chat-later": {"model": "gpt-4o", "version": "2025-01-01"},
    "realtime": {"model": "gpt-4o-realtime-preview",
                 "version": "2024-12-17"}
  }
}
EOF

my ($rc, $out) = conf_for("$t->{dir}/catalog.json");
is($rc, 0, 'nginx -t passes the catalog');
my @want = sort $out =~ /\[warn\] (azoai: deployment .*)$/mg;
is(scalar @want, 2, 'nginx -t warns about chat-past and chat-soon');

my ($trc, $tout) = tool('check', "$t->{dir}/catalog.json");
is($trc, 0, 'check exits 0');
my @got = sort grep { /^azoai: deployment / } split /\n/, $tout;
is_deeply(\@got, \@want, 'check prints the warnings nginx -t prints');
like($tout, qr/^azoai_catalog "\S+catalog\.json": valid$/m,
     'check says the catalog is valid');

($trc, $tout) = tool('check', "$t->{dir}/catalog.json", '--notice', '90');
is(scalar(() = $tout =~ /^azoai: deployment /mg), 3,
   'check --notice 90 warns about chat-later too');

($trc, $tout) = tool('check', "$t->{dir}/catalog.json", '--bogus', '1');
is($trc, 2, 'an unknown option is a usage error');

# --- explain: the decision NGINX makes -------------------------------------

$t->write_conf(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_catalog %%CATALOG%%;
        location / { proxy_pass http://%%UPSTREAM%%; }
    }
EOF
$t->start_upstream->start;

for my $dep (qw(chat-past chat-soon chat-later realtime nosuch gpt-4o)) {
    my ($erc, $eout) = tool('explain', "$t->{dir}/catalog.json", $dep);
    my ($decision) = $eout =~ /^decision: (.*)$/m;
    my ($why) = $eout =~ /^why: (.*)$/m;
    my $r = $t->request({ method => 'POST',
                          path => "/openai/deployments/$dep/chat/"
                                  . "completions?api-version=2024-10-21",
                          headers => [['Content-Type', 'application/json']],
                          body => '{"messages":[]}' });

    if ($decision eq 'allow') {
        is($erc, 0, "$dep: explain exits 0 on allow");
        is($r->{status}, 200, "$dep: NGINX allows it too");
        next;
    }

    is($erc, 1, "$dep: explain exits 1 on a denial");
    my $e = eval { json_decode($r->{body})->{error} } || {};
    is("$r->{status} " . ($e->{code} // ''), $decision,
       "$dep: NGINX's status and code are explain's ($decision)");
    is($e->{message}, $why, "$dep: and so is the message");
}

my ($erc, $eout) = tool('explain', "$t->{dir}/catalog.json", 'chat-later',
                        '--at', $later);
like($eout, qr/^decision: 403 RetiredModelBlocked$/m,
     'explain --at the date: retired');
like($eout, qr/^retires: \Q$later\E$/m, 'explain shows the date');

# --- from-azure: recorded Models - List and deployments list ---------------

($rc, $out) = tool('from-azure', "$DATA/azure-models.json",
                   "$DATA/azure-deployments.json");
is($rc, 0, 'from-azure converts the recorded lists');
$t->write_file('azure.json', $out);
my $doc = json_decode($out);

is_deeply($doc->{models}{'gpt-4o'},
          { '2024-05-13' => { status => 'ga', retires => '2026-03-31' },
            '2024-11-20' => { status => 'ga', retires => '2026-06-05' } },
          'gpt-4o versions with their retirement dates');
is($doc->{models}{'gpt-4o-realtime-preview'}{'2024-12-17'}{status},
   'preview', 'preview lifecycle is preview');
is_deeply($doc->{models}{'text-embedding-3-large'},
          { 1 => { status => 'ga', retires => '2026-12-31' } },
          'an id split as its deployment names model and version');
is($doc->{models}{'gpt-4o-mini-2024-07-18.ft-72a2792ef7d24ba7b82c7fe4a37e379f'}
   {'*'}{retires}, '2026-03-31', 'a fine-tuned model has its base date');
is_deeply($doc->{deployments}{'chat-prod'},
          { model => 'gpt-4o', version => '2024-11-20' },
          'deployments from the ARM list');
is(scalar keys %{$doc->{deployments}}, 6, 'all six deployments');

($rc, $out) = tool('check', "$t->{dir}/azure.json", '--at', '2026-03-20');
is($rc, 0, 'check passes the generated catalog');
like($out, qr/deployment "support-bot" \(\S+ 1\) retires on 2026-03-31/,
     'and warns about the fine-tuned deployment');
($rc, $out) = conf_for("$t->{dir}/azure.json");
is($rc, 0, 'nginx -t passes it too');

for (['2026-03-30', 'allow'], ['2026-03-31', '403 RetiredModelBlocked']) {
    my ($at, $want) = @$_;
    ($rc, $out) = tool('explain', "$t->{dir}/azure.json", 'support-bot',
                       '--at', $at);
    like($out, qr/^decision: \Q$want\E$/m, "support-bot at $at: $want");
}

# the ARM list in pages (nextLink): the same catalog as in one page; a
# last page that says the list goes on is refused, not cut short
{
    my $all = json_decode($t->read_file("$DATA/azure-deployments.json"));
    my @v = @{$all->{value}};
    $t->write_file('page1.json', json_encode({ value => [@v[0 .. 2]],
        nextLink => 'https://management.azure.com/x?$skipToken=1' }));
    $t->write_file('page2.json', json_encode({ value => [@v[3 .. $#v]] }));
    my ($prc, $paged) = tool('from-azure', "$DATA/azure-models.json",
                             "$t->{dir}/page1.json", "$t->{dir}/page2.json");
    is($prc, 0, 'from-azure takes the deployments list in two pages');
    is_deeply(json_decode($paged), $doc, 'the same catalog as one page');
    ($prc, $paged) = tool('from-azure', "$DATA/azure-models.json",
                          "$t->{dir}/page1.json");
    is($prc, 1, 'a page with a nextLink as the last page fails');
    is($paged, 'azoai-catalog: from-azure: deployments: the list goes on'
               . qq{ ("nextLink"): give every page, in order\n},
         'and says to give every page');
}

($rc, $out) = tool('from-azure', "$DATA/azure-deployments.json");
is($rc, 1, 'a deployments list is not a Models - List response');
like($out, qr/^azoai-catalog: from-azure: models: not a Models - List/,
     'and says so');

$t->error_log_clean;

done_testing;
