#!/usr/bin/perl

# conf.example/ stays valid: nginx.conf and every rollout snippet
# (conf.example/rollout/*.conf, alone and all together) pass `nginx -t`
# with the built module, README names each snippet, and the report-mode
# and per-location snippets behave as their comments say.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $top = "$FindBin::Bin/..";
my @snippets = sort glob "$top/conf.example/rollout/*.conf";
ok(@snippets >= 4, 'conf.example/rollout/ holds the rollout snippets')
    or diag(join ' ', @snippets);

my $t = AzoaiTest->new;
my $dir = $t->dir;

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "$path: $!";
    local $/;
    return scalar <$fh>;
}

# files the snippets name under /etc/nginx/
$t->write_file('azoai-catalog.json',
               slurp("$top/conf.example/azoai-catalog.json"));
$t->write_file('azoai-hash.key', "0123456789abcdef0123456789abcdef\n");

my $readme = slurp("$top/README.md");

# a snippet pointed at this test: paths into the temp dir, free ports,
# plain HTTP to the recording upstream
sub local_snippet {
    my ($file) = @_;
    my $text = slurp($file);
    $text =~ s{/etc/nginx/}{$dir/}g;
    $text =~ s{/var/log/nginx/}{$dir/}g;
    $text =~ s{listen (?:127\.0\.0\.1:)?(\d+);}{listen 127.0.0.1:%%PORT_P$1%%;}g;
    $text =~ s{https://azure_openai}{http://azure_openai}g;
    return $text;
}

my $upstream = "upstream azure_openai { server %%UPSTREAM%%; }\n";

for my $file (@snippets) {
    (my $name = $file) =~ s{.*/conf\.example/}{conf.example/};
    ok(index($readme, $name) >= 0, "README names $name");

    $t->write_conf($upstream . local_snippet($file), file => 'snippet.conf');
    my ($rc, $out) = $t->nginx_test("$dir/snippet.conf");
    is($rc, 0, "$name: nginx -t accepts it") or diag($out);
    unlike($out, qr/\[(?:warn|emerg|alert)\]/, "$name: without warnings")
        or diag($out);
}

# all of them in one http{}: names and ports do not collide
$t->write_conf($upstream . join("\n", map { local_snippet($_) } @snippets),
               file => 'all.conf');
my ($rc, $out) = $t->nginx_test("$dir/all.conf");
is($rc, 0, 'all snippets together: nginx -t accepts them') or diag($out);

# conf.example/nginx.conf, pointed at this machine as tools/run.sh does
{
    my $conf = slurp("$top/conf.example/nginx.conf");
    my $module = $ENV{AZOAI_MODULE};
    my $port = $t->port('example');
    $conf =~ s{^load_module .*# run: module$}{load_module $module;}m;
    $conf =~ s{access_log .*# run: log$}{access_log $dir/example.log azoai;}m;
    $conf =~ s{^worker_processes auto;}
              {worker_processes 1;\npid $dir/example.pid;\n}m;
    $conf =~ s{listen .*# run: listen$}{listen 127.0.0.1:$port;}m;
    $conf =~ s{server YOUR-RESOURCE.*# run: upstream$}
              {server 127.0.0.1:$port;}m;
    $conf =~ s#^http \{#http {\n    client_body_temp_path $dir/body;#m;
    $t->write_file('example.conf', $conf);
    ($rc, $out) = $t->nginx_test("$dir/example.conf");
    is($rc, 0, 'conf.example/nginx.conf: nginx -t accepts it') or diag($out);
}

# report mode: a preview api-version goes through, marked
my $chat = '/openai/deployments/%s/chat/completions?api-version=%s';
my $body = '{"messages":[{"role":"user","content":"mail jane@example.com"}]}';
my @json = (headers => [['Content-Type', 'application/json']]);

$t->write_conf($upstream . local_snippet("$top/conf.example/rollout/"
                                         . '10-report-mode.conf'));
$t->start_upstream->start;

my ($up, $r) = $t->expect_allowed({ method => 'POST', @json, body => $body,
    port => $t->port('p8081'),
    path => sprintf($chat, 'chat-prod', '2025-04-01-preview') },
    'report mode: a preview api-version is forwarded',
    decision => 'report-deny');
my $line = $t->access_log_wait(qr/ report-deny /, 'azoai-report.log') // '';
like($line, qr/ 200 report-deny reason=PreviewApiVersionBlocked /,
     'report mode: logged with the reason') or diag($line);
$t->stop;

# per-location: the lab location allows what the server denies
$t->write_conf($upstream . local_snippet("$top/conf.example/rollout/"
                                         . '20-per-location.conf'));
$t->start;
my $p = $t->port('p8082');
$t->expect_denied({ method => 'POST', @json, body => $body, port => $p,
    path => sprintf($chat, 'chat-prod', '2025-04-01-preview') },
    403, 'PreviewApiVersionBlocked', 'per-location: server level denies');
$t->expect_allowed({ method => 'POST', @json, port => $p,
    body => '{"messages":[]}',
    path => sprintf($chat, 'lab-chat', '2025-04-01-preview') },
    'per-location: the lab location allows a preview api-version');
$t->expect_denied({ method => 'POST', @json, port => $p,
    body => '{"messages":[{"role":"user","content":"SSN 536-22-1004"}]}',
    path => sprintf($chat, 'chat-hr', '2024-10-21') },
    403, 'PiiBlocked', 'per-location: chat-hr blocks an SSN');
$r = http_request($p, method => 'GET', path => '/healthz');
is($r->{status}, 204, 'per-location: /healthz answered by NGINX');

$t->error_log_clean;

done_testing;
