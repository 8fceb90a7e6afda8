#!/usr/bin/perl

# Upload parts (/openai/uploads/{id}/parts, v1 form; field "data") that
# NGINX spools to a temp file are read block by block like file uploads,
# not gathered in memory: several-MB parts cut inside lines at both ends
# reach the upstream over HTTP/1.1 and HTTP/2 with every value masked
# (whole lines and the pieces at the ends) and every other byte as sent;
# a 40 MB part grows a fresh worker's peak RSS by far less than its size;
# a part that is not JSON lines is UninspectableContent (or goes on
# unchanged with azoai_pii_opaque pass); a batch line in a spooled part
# is judged and named; a piece that cannot be read is InvalidBody;
# pseudonyms of a part are numbered in text order in memory and in a
# temp file alike.
# File uploads read in one pass when the purpose comes first keep the
# verdicts of two reads: a grammar error or a field given twice after a
# denied line wins; a file before its purpose is read a second time,
# byte for byte.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog;

# every server spools its body (16k buffer); 'pass' lets what cannot be
# inspected through, 'judge' judges without masking
my @spooled = ('azoai on;', 'azoai_catalog %%CATALOG%%;',
               'client_body_buffer_size 16k;', 'client_max_body_size 64m;');

$t->write_conf(
    server_block(h2 => 1, directives => [@spooled, 'azoai_pii on;',
                                         'azoai_max_body_size 64m;'])
    . server_block(port => 'pass', directives => [@spooled, 'azoai_pii on;',
                                                  'azoai_pii_opaque pass;'])
    . server_block(port => 'judge', directives => \@spooled)
    . server_block(port => 'pseudo_file',
                   directives => [@spooled, 'azoai_pii on;',
                                  'azoai_pii_action pseudonym;'])
    . server_block(port => 'pseudo_mem',
                   directives => ['azoai on;', 'azoai_catalog %%CATALOG%%;',
                                  'client_body_buffer_size 1m;',
                                  'azoai_pii on;',
                                  'azoai_pii_action pseudonym;']));
$t->start_upstream->start;

my $B = '----azoaiPartBoundary';
my $V = '?api-version=2024-10-21';

# a multipart body: [name, content, filename?] ...
sub form {
    my $body = '';
    for my $p (@_) {
        my ($name, $content, $file) = @$p;
        $body .= "--$B\r\nContent-Disposition: form-data; name=\"$name\""
            . (defined $file ? "; filename=\"$file\"\r\nContent-Type: "
                               . "application/octet-stream" : '')
            . "\r\n\r\n$content\r\n";
    }
    return $body . "--$B--\r\n";
}

sub req {
    my ($path, $body, %o) = @_;
    return { method => 'POST', path => $path,
             headers => [['Content-Type',
                          "multipart/form-data; boundary=$B"]],
             body => $body,
             port => $t->port($o{via} ? 'h2' : ($o{port} // 'main')),
             ($o{via} ? (via => $o{via}) : ()) };
}

sub part {
    my ($content, %o) = @_;
    return req('/openai/v1/uploads/upload_1/parts',
               form(['data', $content, 'blob']), %o);
}

sub files {
    return req("/openai/files$V", form(@_));
}

sub mask {
    (my $m = $_[0]) =~ s/[\w.]+\@example\.(?:com|org|net)/[EMAIL]/g;
    return $m;
}

# a piece of a fine-tuning file of about 3 MB, cut inside a line at both
# ends (an address in each piece, an escape cut at the end), whole lines
# with an address every 89th, CRLF and a 300 KB line (cut across blocks)
my ($lines, $n) = ('', 0);
while (length $lines < 3 * 1024 * 1024) {
    $n++;
    my $who = $n % 89 ? 'the customer' : "jane.doe$n\@example.com";
    my $l = qq({"messages":[{"role":"user","content":"line $n by $who"}]});
    $l = qq({"messages":[{"role":"user","content":") . ('z' x (300 * 1024))
        . qq( ann\@example.net"}]}) if $n == 500;
    $lines .= $l . ($n % 7 ? "\n" : "\r\n");
}
my $head = qq(ent":"from first.piece\@example.org \\u00e9"}]}\n);
my $tail = qq({"messages":[{"role":"user","content":"last.piece\@example.com )
    . qq(\\u0);
my $piece = $head . $lines . $tail;
my $piece_masked = mask($piece);
my $values = () = $piece =~ /\@example\./g;

# memory first, while the worker is fresh: a 40 MB part, masked from its
# temp file; gathered in memory it was held whole (and copied)
{
    my $big = $head . ($lines x 13) . $tail;
    my $hwm0 = $t->worker_hwm;
    my $r = $t->request(part($big));
    is($r->{status}, 200, 'a ' . length($big) . '-byte upload part is '
       . 'masked from its temp file');
    cmp_ok($r->{headers}{'x-azoai-pii-masked'} // 0, '>', $values,
           'its values are masked');
    my $grew = $t->worker_hwm - $hwm0;
    cmp_ok($grew, '<', 16 * 1024,
           "the worker's peak RSS grew by ${grew} KB (< 16 MB for a "
           . int(length($big) / 1048576) . ' MB part)');
}

for my $via (undef, 'h2') {
    my $how = $via ? 'HTTP/2' : 'HTTP/1.1';

    my ($up, $r) = $t->expect_allowed(
        part($piece, via => $via),
        "$how: a " . length($piece) . '-byte upload part cut inside lines '
        . 'is masked from its temp file, every other byte as sent',
        body => form(['data', $piece_masked, 'blob']));
    is($r->{headers}{'x-azoai-pii-masked'}, $values,
       "$how: $values values masked, the pieces at both ends included");

    (my $clean = $piece) =~ s/\@example\./ at example dot /g;
    $t->expect_allowed(part($clean, via => $via),
                       "$how: a part without PII goes on untouched");

    my $bin = "\x89PNG\r\n\x1a\n" . ("\0\x01 a\@b.org \xff" x 300_000);
    $t->expect_denied(part($bin, via => $via), 403, 'UninspectableContent',
                      "$how: a " . length($bin) . '-byte part that is not '
                      . 'JSON lines is not forwarded');
}

{
    my $bin = "\x89PNG\r\n\x1a\n" . ("\0\x01 a\@b.org \xff" x 300_000);
    $t->expect_allowed(part($bin, port => 'pass'),
                       'azoai_pii_opaque pass: a spooled image part goes on '
                       . 'unchanged');

    # a whole line that is not JSON in the middle: not JSON lines
    (my $bad = $piece)
        =~ s/\n\{"messages":\[\{"role":"user","content":"line 77 /\nno /;
    my $r = $t->request(part($bad));
    ok(is_denial($r, 403, 'UninspectableContent',
                 'a part with a line that is not JSON'), 'not JSONL');

    # a piece at the start that cannot be read as JSON text
    $r = $t->request(part(qq(xxxxxxxx\\q a\@example.com"}]}\n) . $lines));
    ok(is_denial($r, 400, 'InvalidBody',
                 'a piece that cannot be read as JSON text'), 'refused');
    like(error_message($r), qr/^upload part: /, 'the message says upload part');
}

# batch lines in a spooled part are judged, PII or not
{
    my @l = map {
        my $dep = $_ == 20000 ? 'chat-preview' : 'chat-prod';
        qq({"custom_id":"t-$_","method":"POST","url":"/chat/completions",)
        . qq("body":{"model":"$dep","messages":[{"role":"user","content":)
        . qq("question $_"}]}})
    } 1 .. 20001;
    my $p = substr($l[0], 30) . "\n" . join("\n", @l[1 .. 20000]) . "\n"
        . substr($l[20000], 0, 50);
    for my $port ('main', 'judge') {
        my $r = $t->request(part($p, port => $port));
        ok(is_denial($r, 403, 'PreviewModelBlocked',
                     "$port: a preview deployment on line 20000 of a "
                     . length($p) . '-byte spooled part'), "$port: denied");
        like(error_message($r), qr/^upload part line 20000: /,
             "$port: the message names the line of the part");
    }
    $p =~ s/chat-preview/chat-prod/;
    $t->expect_allowed(part($p, port => 'judge'),
                       'the same part with GA lines passes byte for byte');
}

# file uploads: the one-pass read keeps the verdicts of two reads
{
    my $ft = join '', map {
        qq({"messages":[{"role":"user","content":"line $_ by )
        . ($_ % 50 ? 'someone' : "x$_\@example.com") . qq("}]}\n)
    } 1 .. 30000;
    for my $via (undef, 'h2') {
        my $how = $via ? 'HTTP/2' : 'HTTP/1.1';
        my $r = req("/openai/files$V",
                    form(['file', $ft, 'train.jsonl'],
                         ['purpose', 'fine-tune']), via => $via);
        $t->expect_allowed($r, "$how: a spooled file before its purpose "
                           . 'is masked (a second read), byte for byte',
                           body => form(['file', mask($ft), 'train.jsonl'],
                                        ['purpose', 'fine-tune']));
    }

    my @b = map {
        my $dep = $_ == 2 ? 'chat-preview' : 'chat-prod';
        qq({"custom_id":"t-$_","method":"POST","url":"/chat/completions",)
        . qq("body":{"model":"$dep","messages":[]}}\n)
    } 1 .. 20000;
    my $batch = join '', @b;

    my $r = $t->request(files(['purpose', 'batch'],
                              ['file', $batch, 'b.jsonl']));
    ok(is_denial($r, 403, 'PreviewModelBlocked', 'line 2 denied'),
       'a spooled batch file, purpose first: line 2 denied');

    (my $open = files(['purpose', 'batch'], ['file', $batch, 'b.jsonl'])
        ->{body}) =~ s/--\r\n\z/\r\n/;
    $r = $t->request({ %{files(['purpose', 'batch'])}, body => $open });
    ok(is_denial($r, 400, 'InvalidBody', 'no closing delimiter'),
       'a grammar error after a denied line is the verdict');

    $r = $t->request(files(['purpose', 'batch'], ['file', $batch, 'b.jsonl'],
                           ['purpose', 'batch']));
    ok(is_denial($r, 400, 'AmbiguousRequest', 'purpose twice'),
       'a purpose given twice after a denied line is the verdict');
    like(error_message($r), qr/field .purpose. is given more than once/,
         'the message names the field');
}

# pseudonyms are numbered in the order of the text on both paths: in
# memory the whole lines are inspected before the pieces at the ends, in
# a temp file line by line; the same part gives the same bytes upstream
{
    my $mid = join '', map {
        my $who = $_ == 3 ? 'second@example.com and first@example.com'
                : $_ == 9 ? 'third@example.com' : 'nobody';
        qq({"messages":[{"role":"user","content":"line $_: $who"}]}\n)
    } 1 .. 400;
    my $p = qq(ent":"first\@example.com"}]}\n) . $mid
        . qq({"messages":[{"role":"user","content":"fourth\@example.com);
    (my $want = $p) =~ s/first\@example\.com/[EMAIL_1]/g;
    $want =~ s/second\@example\.com/[EMAIL_2]/;
    $want =~ s/third\@example\.com/[EMAIL_3]/;
    $want =~ s/fourth\@example\.com/[EMAIL_4]/;
    cmp_ok(length $p, '>', 16 * 1024, 'the part is spooled at 16k');

    for my $port ('pseudo_mem', 'pseudo_file') {
        my $where = $port eq 'pseudo_mem' ? 'in memory' : 'in a temp file';
        $t->expect_allowed(part($p, port => $port),
                           "pseudonyms of an upload part $where: numbered "
                           . 'in text order, the ends included',
                           body => form(['data', $want, 'blob']));
    }
}

ok($t->error_log_clean, 'error log clean');

done_testing();
